using System.Net;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>The ApiKey scheme on PostgreSQL: lookup, the conditional last-use UPDATE on timestamptz, revocation.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ApiKeyAuthenticationPostgresTests(PostgresServer postgres)
{
    [Fact]
    public async Task WhoAmI_OnPostgres_AcceptsRecordsLastUseOnceThenRefusesRevoked()
    {
        await using var factory = new PostgresFactory(await postgres.CreateDatabaseAsync());
        using var client = factory.CreateClient();
        Assert.Equal(DatabaseProvider.Postgres, factory.Services.GetRequiredService<AdminSettings>().Provider);
        var core = factory.Services.GetRequiredService<ApiKeyManagementCore>();
        var key = (await core.CreateAsync(UserOperator.HostCli, new ApiKeyInput { Name = "pg", Scopes = [ApiKeyScopes.AuditRead] })).Created!;

        Task<HttpResponseMessage> CallAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/whoami");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key.Key);
            return client.SendAsync(request);
        }

        async Task<DateTime?> LastUseAsync()
        {
            await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
            return (await db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id)).LastUsedAt;
        }

        using (var first = await CallAsync())
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var used = await LastUseAsync();
        Assert.NotNull(used);
        using (var second = await CallAsync())
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        }

        Assert.Equal(used, await LastUseAsync());
        Assert.True((await core.RevokeAsync(UserOperator.HostCli, key.Id)).Succeeded);
        using var refused = await CallAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
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
