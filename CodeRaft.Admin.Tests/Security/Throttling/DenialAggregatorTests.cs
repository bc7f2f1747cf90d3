using System.Text.Json;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Throttling;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.Throttling;

/// <summary>Refusals become one audit entry per action, subject and minute, with the count; on the app's real chain (SQLite).</summary>
public sealed class DenialAggregatorTests : IClassFixture<AdminAppFactory>
{
    private const string Action = "test.rate_limited";

    private readonly AdminAppFactory _factory;

    // Mid-minute, so "the minute is over" needs an explicit step.
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));

    public DenialAggregatorTests(AdminAppFactory factory) => _factory = factory;

    private DenialAggregator NewAggregator(int maxSubjects = 1000) => new(
        _factory.Services.GetRequiredService<AuditWriter>(),
        _time,
        Options.Create(new DenialAuditOptions { MaxSubjectsPerMinute = maxSubjects }),
        NullLogger<DenialAggregator>.Instance);

    private static Denial DenialFrom(string address, string path = "/api/v1/whoami") =>
        new("test", Action, address, AuditActor.Anonymous, address, path);

    private async Task<List<AuditEntry>> EntriesAsync(string subjectPrefix)
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        var entries = await db.AuditEntries.AsNoTracking().Where(e => e.Action == Action).OrderBy(e => e.Sequence).ToListAsync();
        return [.. entries.Where(e => e.SourceIp.StartsWith(subjectPrefix, StringComparison.Ordinal))];
    }

    private static JsonElement Details(AuditEntry entry) => JsonDocument.Parse(entry.Details).RootElement;

    [Fact]
    public async Task Flush_ManyDenialsInOneMinute_OneEntryPerSubjectWithTheCount()
    {
        var aggregator = NewAggregator();
        for (var i = 0; i < 25; i++)
        {
            aggregator.Record(DenialFrom("192.0.2.1", i % 2 == 0 ? "/api/v1/whoami" : "/api/v1/users"));
        }

        aggregator.Record(DenialFrom("192.0.2.2"));
        await aggregator.FlushAsync();
        Assert.Empty(await EntriesAsync("192.0.2.")); // the minute is not over yet

        _time.Advance(TimeSpan.FromMinutes(1));
        await aggregator.FlushAsync();

        var entries = await EntriesAsync("192.0.2.");
        Assert.Equal(["192.0.2.1", "192.0.2.2"], entries.Select(e => e.SourceIp));
        var first = Details(entries[0]);
        Assert.Equal(25, first.GetProperty("count").GetInt64());
        Assert.Equal("2026-11-29T09:00:00.0000000+00:00", first.GetProperty("windowStart").GetString());
        Assert.Equal("2026-11-29T09:01:00.0000000+00:00", first.GetProperty("windowEnd").GetString());
        Assert.Equal(["/api/v1/whoami", "/api/v1/users"], first.GetProperty("paths").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(1, Details(entries[1]).GetProperty("count").GetInt64());
        Assert.All(entries, e => Assert.Equal((AuditVocabulary.Denied, "anonymous", "test"), (e.Outcome, e.ActorType, e.Category)));
    }

    [Fact]
    public async Task Flush_DenialsOverTwoMinutes_OneEntryPerMinute()
    {
        var aggregator = NewAggregator();
        aggregator.Record(DenialFrom("198.51.100.7"));
        aggregator.Record(DenialFrom("198.51.100.7"));
        _time.Advance(TimeSpan.FromMinutes(1));
        aggregator.Record(DenialFrom("198.51.100.7"));
        await aggregator.FlushAsync(); // only the first minute is over

        Assert.Equal([2L], (await EntriesAsync("198.51.100.7")).Select(e => Details(e).GetProperty("count").GetInt64()));

        _time.Advance(TimeSpan.FromMinutes(1));
        await aggregator.FlushAsync();
        await aggregator.FlushAsync(); // nothing twice

        Assert.Equal([2L, 1L], (await EntriesAsync("198.51.100.7")).Select(e => Details(e).GetProperty("count").GetInt64()));
    }

    [Fact]
    public async Task Flush_OpenWindowIncluded_WrittenWithTheWindowEndingNow()
    {
        var aggregator = NewAggregator();
        aggregator.Record(DenialFrom("203.0.113.9"));
        _time.Advance(TimeSpan.FromSeconds(5));

        await aggregator.FlushAsync(includeOpenWindow: true);

        var entry = Assert.Single(await EntriesAsync("203.0.113.9"));
        Assert.Equal("2026-11-29T09:00:15.0000000+00:00", Details(entry).GetProperty("windowEnd").GetString());
    }

    [Fact]
    public async Task Record_ScanFromManyAddresses_BoundedSubjectsAndOneOverflowEntryWithTheRest()
    {
        var aggregator = NewAggregator(maxSubjects: 5);
        for (var i = 0; i < 200; i++)
        {
            aggregator.Record(DenialFrom($"100.64.0.{i}"));
        }

        aggregator.Record(DenialFrom("100.64.0.0")); // a tracked one, again

        _time.Advance(TimeSpan.FromMinutes(1));
        await aggregator.FlushAsync();

        var entries = await EntriesAsync("100.64.0.");
        Assert.Equal(["100.64.0.0", "100.64.0.1", "100.64.0.2", "100.64.0.3", "100.64.0.4"], entries.Select(e => e.SourceIp).Where(s => s.Length > 0).Order());
        Assert.Equal(2, Details(entries.Single(e => e.SourceIp == "100.64.0.0")).GetProperty("count").GetInt64());
        var overflow = await OverflowEntriesAsync();
        Assert.Contains(overflow, e => Details(e).GetProperty("count").GetInt64() == 195);
    }

    [Fact]
    public async Task Timer_MinuteOver_AppHostedAggregatorWritesWithoutBeingAsked()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var factory = new AdminAppFactory(); // its own store: two apps on one chain would only confuse the count
        using var app = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(time)));
        var aggregator = app.Services.GetRequiredService<DenialAggregator>();
        aggregator.Record(DenialFrom("233.252.0.1"));

        time.Advance(TimeSpan.FromMinutes(1) + DenialAggregator.FlushInterval);

        // The flush runs on the timer's continuation; wait for it (bounded), without timing anything.
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        for (var i = 0; i < 200 && !await db.AuditEntries.AnyAsync(e => e.Action == Action && e.SourceIp == "233.252.0.1"); i++)
        {
            await Task.Delay(50);
        }

        var entry = await db.AuditEntries.SingleAsync(e => e.Action == Action && e.SourceIp == "233.252.0.1");
        Assert.Equal(1, Details(entry).GetProperty("count").GetInt64());
    }

    private async Task<List<AuditEntry>> OverflowEntriesAsync()
    {
        await using var db = await _factory.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == Action && e.SourceIp == "").ToListAsync();
    }
}
