using System.Net;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit.Verification;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>Ingest and read on PostgreSQL: the writer's advisory lock and batched inserts behind the same endpoint.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ApiAuditIngestPostgresTests(PostgresServer postgres)
{
    [Fact]
    public async Task Ingest_OnPostgres_ConcurrentBatches201ThenReadBackInOrderAndVerify()
    {
        await using var factory = new PostgresFactory(await postgres.CreateDatabaseAsync());
        var api = new ApiTestClient(factory);
        Assert.Equal(DatabaseProvider.Postgres, factory.Services.GetRequiredService<AdminSettings>().Provider);
        var key = await api.CreateKeyAsync(ApiKeyScopes.AuditWrite, ApiKeyScopes.AuditRead);

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => api.PostEventsAsync(key.Key, ApiTestClient.Batch(200))));

        var sequences = new List<long>();
        foreach (var response in responses)
        {
            var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.Created);
            var batch = body.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(0, 200).Select(i => batch[0] + i), batch); // one request's events stay together
            sequences.AddRange(batch);
            response.Dispose();
        }

        Assert.Equal(800, sequences.Distinct().Count());
        using var read = await api.SendAsync(HttpMethod.Get, $"/api/v1/audit/events?after={sequences.Min() - 1}&limit=1000", key.Key);
        var entries = (await ApiTestClient.JsonAsync(read, HttpStatusCode.OK)).GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
        Assert.Superset(sequences.ToHashSet(), entries.ToHashSet());
        Assert.True((await factory.Services.GetRequiredService<AuditVerifier>().VerifyAsync()).Ok);
    }

    private sealed class PostgresFactory(string connectionString) : AdminAppFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Database:Provider", "Postgres");
            builder.UseSetting("ConnectionStrings:Admin", connectionString);
        }
    }
}
