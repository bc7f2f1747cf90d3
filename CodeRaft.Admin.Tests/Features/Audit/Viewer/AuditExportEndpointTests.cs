using System.Net;
using System.Text.Json;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Audit.Export;
using CodeRaft.Admin.Features.Audit.Viewer;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

/// <summary>GET /audit/export/{ticket}: the download the audit page starts (the ticket store is issued by the page's circuit).</summary>
public sealed class AuditExportEndpointTests(SignedInAdminAppFactory factory) : IClassFixture<SignedInAdminAppFactory>
{
    [Fact]
    public async Task Get_JsonlTicket_StreamsParseableLinesWithTheContractColumnsAndRecordsTheExport()
    {
        using var client = factory.CreateClient();
        var seeded = await SeedAsync("export-jsonl", AuditDetails.Of(("note", "<b>\"quoted\", comma\nnew line</b>")));
        var ticket = Tickets.Create(new AuditFilter { Category = "export-jsonl" }, AuditExportFormat.JsonLines);

        using var response = await client.GetAsync(AuditExportEndpoints.UrlFor(ticket));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Matches(@"^coderaft-audit-\d{8}T\d{6}Z\.jsonl$", response.Content.Headers.ContentDisposition?.FileName);
        Assert.True(response.Headers.CacheControl?.NoStore, "the export must not be cached");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(seeded.Count, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            Assert.Equal(AuditExporter.EntryColumns, json.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Number, json.RootElement.GetProperty("sequence").ValueKind);
            Assert.All(json.RootElement.EnumerateObject().Skip(1), p => Assert.Equal(JsonValueKind.String, p.Value.ValueKind));
            Assert.Equal(seeded[i].Sequence, json.RootElement.GetProperty("sequence").GetInt64());
            Assert.Equal(seeded[i].Hash, json.RootElement.GetProperty("hash").GetString());
            Assert.Equal(seeded[i].Details, json.RootElement.GetProperty("details").GetString());
        }

        // Recorded once the file was sent: format, filter and count.
        var recorded = (await Query.GetPageAsync(new AuditFilter { Action = "audit.exported" }, null, 50)).Entries
            .Select(e => JsonDocument.Parse(e.Details).RootElement)
            .First(d => d.GetProperty("filter").TryGetProperty("category", out var c) && c.GetString() == "export-jsonl");
        Assert.Equal("jsonl", recorded.GetProperty("format").GetString());
        Assert.Equal(seeded.Count, recorded.GetProperty("count").GetInt64());
    }

    [Fact]
    public async Task Get_CsvTicket_StartsWithTheHeaderThenOneRowPerEntry()
    {
        using var client = factory.CreateClient();
        var seeded = await SeedAsync("export-csv", AuditDetails.Of(("formula", "=HYPERLINK(\"x\")")));
        var ticket = Tickets.Create(new AuditFilter { Category = "export-csv", Text = "HYPERLINK" }, AuditExportFormat.Csv);

        using var response = await client.GetAsync(AuditExportEndpoints.UrlFor(ticket));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Matches(@"^coderaft-audit-\d{8}T\d{6}Z\.csv$", response.Content.Headers.ContentDisposition?.FileName);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(string.Join(',', AuditExporter.EntryColumns), lines[0]);
        Assert.Equal(seeded.Count + 1, lines.Length);
        Assert.All(lines.Skip(1), line => Assert.Contains(",export-csv,", line, StringComparison.Ordinal));
        Assert.Contains(",'=cmd|' /C calc'!A0,", lines[1], StringComparison.Ordinal); // a spreadsheet formula stays text
    }

    [Fact]
    public async Task Get_TicketUsedTwice_SecondTimeIsNotFound()
    {
        using var client = factory.CreateClient();
        var ticket = Tickets.Create(AuditFilter.None, AuditExportFormat.JsonLines);
        using (var first = await client.GetAsync(AuditExportEndpoints.UrlFor(ticket)))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        using var second = await client.GetAsync(AuditExportEndpoints.UrlFor(ticket));

        await AssertNotFoundProblemAsync(second);
    }

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-ticket")]
    [InlineData("%3Cscript%3Ealert(1)%3C%2Fscript%3E")]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    public async Task Get_UnknownTicket_IsNotFoundProblem(string ticket)
    {
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(AuditExportEndpoints.RoutePrefix + ticket);

        await AssertNotFoundProblemAsync(response);
    }

    [Fact]
    public async Task Get_ExpiredTicket_IsNotFoundAndStaysUnusable()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var own = new SignedInAdminAppFactory();
        using var app = own.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
            services.AddSingleton(new AuditExportTickets(clock))));
        using var client = app.CreateClient();
        var tickets = app.Services.GetRequiredService<AuditExportTickets>();
        var fresh = tickets.Create(AuditFilter.None, AuditExportFormat.JsonLines);
        var stale = tickets.Create(AuditFilter.None, AuditExportFormat.JsonLines);

        clock.Advance(AuditExportTickets.Lifetime - TimeSpan.FromSeconds(1));
        using (var inTime = await client.GetAsync(AuditExportEndpoints.UrlFor(fresh)))
        {
            Assert.Equal(HttpStatusCode.OK, inTime.StatusCode);
        }

        clock.Advance(TimeSpan.FromSeconds(1));
        using var expired = await client.GetAsync(AuditExportEndpoints.UrlFor(stale));

        await AssertNotFoundProblemAsync(expired);
    }

    private AuditExportTickets Tickets => factory.Services.GetRequiredService<AuditExportTickets>();

    private AuditQueryService Query => factory.Services.GetRequiredService<AuditQueryService>();

    /// <summary>Entries of a category no other test writes, so a filter on it selects exactly these.</summary>
    private Task<IReadOnlyList<CodeRaft.Admin.Features.Audit.AuditEntry>> SeedAsync(string category, System.Text.Json.Nodes.JsonObject details) =>
        factory.Services.GetRequiredService<AuditWriter>().AppendBatchAsync(
        [
            new AuditEvent { Category = category, Action = "export.seeded", TargetId = "=cmd|' /C calc'!A0", Details = details },
            new AuditEvent { Category = category, Action = "export.seeded", Outcome = AuditVocabulary.Denied, Details = details },
        ]);

    private static async Task AssertNotFoundProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentDisposition);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(404, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("Export link not found", problem.RootElement.GetProperty("title").GetString());
    }
}
