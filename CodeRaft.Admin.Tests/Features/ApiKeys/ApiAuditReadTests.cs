using System.Net;
using System.Text.Json;
using CodeRaft.Admin.Features.ApiKeys;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>GET /api/v1/audit/events (keyset paging, the export shape) and GET /api/v1/audit/checkpoints/latest.</summary>
public sealed class ApiAuditReadTests : IClassFixture<AdminAppFactory>, IAsyncLifetime
{
    private readonly AdminAppFactory _factory;
    private readonly ApiTestClient _api;
    private string _reader = "";

    public ApiAuditReadTests(AdminAppFactory factory)
    {
        _factory = factory;
        _api = new ApiTestClient(factory);
    }

    public async Task InitializeAsync()
    {
        _reader = (await _api.CreateKeyAsync(ApiKeyScopes.AuditRead)).Key;
        var writer = (await _api.CreateKeyAsync(ApiKeyScopes.AuditWrite)).Key;
        using var response = await _api.PostEventsAsync(writer, ApiTestClient.Batch(7));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<JsonElement> PageAsync(string query)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/audit/events" + query, _reader);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await ApiTestClient.JsonAsync(response, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Read_FromTheStart_EntriesInTheExportShapeOfTheExporter()
    {
        var page = await PageAsync("");

        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var stored = await db.AuditEntries.AsNoTracking().OrderBy(e => e.Sequence).Take(100).ToListAsync();
        var entries = page.GetProperty("entries").EnumerateArray().ToList();
        Assert.Equal(stored.Count, entries.Count);
        Assert.Equal(stored.Select(AuditExporter.ToJson), entries.Select(e => e.GetRawText()));
        Assert.Equal(AuditExporter.EntryColumns, entries[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1, entries[0].GetProperty("sequence").GetInt64());
        Assert.Equal(stored[^1].Sequence, page.GetProperty("next").GetInt64());
    }

    [Fact]
    public async Task Read_KeysetPages_WalkEveryEntryOnceInOrder()
    {
        var seen = new List<long>();
        long after = 0;
        bool more;
        do
        {
            var page = await PageAsync($"?after={after}&limit=3");
            var sequences = page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).ToList();
            Assert.InRange(sequences.Count, 0, 3);
            seen.AddRange(sequences);
            more = page.GetProperty("more").GetBoolean();
            after = page.GetProperty("next").GetInt64();
            Assert.Equal(sequences.Count > 0 ? sequences[^1] : after, after);
        }
        while (more);

        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var head = await db.AuditEntries.MaxAsync(e => e.Sequence);
        Assert.True(seen.Count >= 7);
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen.Take((int)head));
    }

    [Fact]
    public async Task Read_AfterTheHead_EmptyPageKeepsTheCursor()
    {
        var page = await PageAsync("?after=1000000");

        Assert.Empty(page.GetProperty("entries").EnumerateArray());
        Assert.Equal(1_000_000, page.GetProperty("next").GetInt64());
        Assert.False(page.GetProperty("more").GetBoolean());
    }

    [Theory]
    [InlineData("?limit=0", "'limit'")]
    [InlineData("?limit=1001", "'limit'")]
    [InlineData("?limit=ten", "'limit'")]
    [InlineData("?after=-1", "'after'")]
    [InlineData("?after=1e3", "'after'")]
    [InlineData("?after=99999999999999999999", "'after'")]
    public async Task Read_BadQuery_400NamingTheParameter(string query, string parameter)
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/audit/events" + query, _reader);

        var problem = await ApiTestClient.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(parameter, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_KeyWithoutAuditRead_403Problem()
    {
        var writer = await _api.CreateKeyAsync(ApiKeyScopes.AuditWrite);

        using var events = await _api.SendAsync(HttpMethod.Get, "/api/v1/audit/events", writer.Key);
        using var checkpoint = await _api.SendAsync(HttpMethod.Get, "/api/v1/audit/checkpoints/latest", writer.Key);

        await ApiTestClient.ProblemAsync(events, HttpStatusCode.Forbidden);
        await ApiTestClient.ProblemAsync(checkpoint, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task LatestCheckpoint_AfterStartUp_TheNewestSignedCheckpointInTheExportShape()
    {
        using var response = await _api.SendAsync(HttpMethod.Get, "/api/v1/audit/checkpoints/latest", _reader);

        var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.OK);
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var latest = await db.AuditCheckpoints.AsNoTracking().OrderByDescending(c => c.Sequence).ThenByDescending(c => c.Timestamp).FirstAsync();
        Assert.Equal(AuditExporter.ToJson(latest), body.GetRawText());
        Assert.Equal(["sequence", "hash", "timestamp", "key_id", "signature"], body.EnumerateObject().Select(p => p.Name));
    }
}
