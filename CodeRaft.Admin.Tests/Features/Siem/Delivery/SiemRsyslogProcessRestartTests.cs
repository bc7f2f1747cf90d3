using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Tests.Features.ApiKeys;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace CodeRaft.Admin.Tests.Features.Siem.Delivery;

/// <summary>
/// Issue 8's delivery proof with the real portal process: the server binary on Kestrel, a syslog-tcp target added
/// with the CLI, 10,000 events ingested through <c>POST /api/v1/audit/events</c> while a real rsyslogd is stopped for
/// 20 s and the portal is killed with SIGKILL (right after a 201, while the receiver is down) and started again on the
/// same data directory → every entry and checkpoint of the store arrives, in order after de-duplication, duplicates ≤ 1 %.
/// </summary>
[Trait("Category", "Rsyslog")]
public sealed class SiemRsyslogProcessRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int Events = 10_000;
    private readonly TempDirectory _work = new("coderaft-siem-restart");
    private readonly string _secret = TestSecrets.NewMasterSecret();
    private readonly List<long> _ingested = [];
    private Portal? _portal;

    public void Dispose()
    {
        _portal?.Kill();
        _work.Dispose();
    }

    private string DataDirectory => _work.Combine("data");

    private Dictionary<string, string?> Environment(string? url = null) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Storage__DataDirectory"] = DataDirectory,
        ["CODERAFT_MASTER_SECRET"] = _secret,
        ["ASPNETCORE_URLS"] = url,
        ["Logging__LogLevel__Default"] = "Warning",
        // As in the in-process test: a receiver that is back is found within 2 s, not after a backoff of minutes.
        ["Siem__Delivery__RetryMin"] = "00:00:00.250",
        ["Siem__Delivery__RetryMax"] = "00:00:02",
    };

    [Fact]
    public async Task Deliver_OverTcpWithReceiverRestartAndPortalProcessKilled_EverySequenceArrivesInOrder()
    {
        await using var receiver = new RsyslogReceiver(tls: false);
        await receiver.StartAsync();

        // Before the server starts: the key, then the target (a new target starts at the head, so before the events).
        var key = await CliAsync("apikey", "create", "--name", "siem-restart", "--scopes", "audit:write,audit:read", "--rate-limit-per-minute", "100000");
        key = key.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        await CliAsync("siem", "add", "--name", "rsyslog", "--type", "syslog-tcp", "--endpoint", receiver.Endpoint, "--format", "rfc5424");
        _portal = await Portal.StartAsync(_work.Path, Environment);

        // Phase 1: a steady stream in batches of 100.
        await IngestAsync(key, 3000, batch: 100, pauseMs: 20);

        // Phase 2: the receiver stops while events flow (about 150 events/s around the stop, a steady production
        // rate, as in the in-process test: the re-send window after a lost connection then stays small).
        var sent = 0;
        var stream = IngestAsync(key, 1000, batch: 5, pauseMs: 30, () => Interlocked.Increment(ref sent));
        await Eventually.TrueAsync(() => Volatile.Read(ref sent) >= 500, "500 more ingested", 60);
        await receiver.StopAsync();
        var stoppedAt = DateTime.UtcNow;
        await stream;

        // Phase 3, receiver down: the portal process is killed right after a 201, started again, and ingests on.
        await IngestAsync(key, 1000, batch: 100, pauseMs: 20);
        await IngestAsync(key, 100, batch: 100, pauseMs: 0, killAfter201: true);
        _portal = await Portal.StartAsync(_work.Path, Environment);
        await IngestAsync(key, 900, batch: 100, pauseMs: 20);
        var down = TimeSpan.FromSeconds(20) - (DateTime.UtcNow - stoppedAt);
        if (down > TimeSpan.Zero)
        {
            await Task.Delay(down);
        }

        // Phase 4: the receiver is back; the rest streams while the backlog drains.
        await receiver.StartAsync();
        await IngestAsync(key, Events - 6000, batch: 100, pauseMs: 20);
        Assert.Equal(Events, _ingested.Count);

        // Until the receiver holds the head and the latest checkpoint (as the API reports them), bounded.
        long head = 0;
        await Eventually.TrueAsync(async () =>
        {
            head = await HeadAsync(key, head);
            var latest = await LatestCheckpointAsync(key);
            var records = receiver.ReceivedRecords();
            return records.Any(r => r.Signature is null && r.Sequence == head) && records.Any(r => r.Signature == latest);
        }, "the head and the latest checkpoint written by rsyslog", 60);
        _portal.Kill();
        _portal = null;

        // The expected set, from the store itself: what the engine owes a target created when this one was.
        List<long> expectedEntries;
        List<(long Sequence, string Signature)> expectedCheckpoints;
        long start;
        await using (var store = await TestStore.StartAsync(DataDirectory, _secret))
        await using (var db = await store.Contexts.CreateDbContextAsync())
        {
            var target = await db.SiemTargets.AsNoTracking().SingleAsync();
            var createdAt = AuditHash.FormatTimestamp(new DateTimeOffset(DateTime.SpecifyKind(target.CreatedAt, DateTimeKind.Utc)));
            start = await db.AuditEntries.Where(e => string.Compare(e.Timestamp, createdAt) < 0).MaxAsync(e => (long?)e.Sequence) ?? 0;
            expectedEntries = await db.AuditEntries.Where(e => e.Sequence > start).OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync();
            expectedCheckpoints = [.. (await db.AuditCheckpoints.Where(c => c.Sequence > start).OrderBy(c => c.Sequence).ThenBy(c => c.Timestamp)
                .Select(c => new { c.Sequence, c.Signature }).ToListAsync()).Select(c => (c.Sequence, c.Signature))];
        }

        // (Checkpoints at `start` itself are history the first loop may send as well; they are not counted.)
        var received = receiver.ReceivedRecords().Where(r => r.Sequence > start).ToList();
        var firstSeen = new List<RsyslogReceiver.ReceivedRecord>();
        var seen = new HashSet<RsyslogReceiver.ReceivedRecord>();
        foreach (var record in received)
        {
            if (seen.Add(record))
            {
                firstSeen.Add(record);
            }
        }

        var firstEntries = firstSeen.Where(r => r.Signature is null).Select(r => r.Sequence).ToList();
        var entryDuplicates = received.Count(r => r.Signature is null) - firstEntries.Count;
        var checkpointDuplicates = received.Count(r => r.Signature is not null) - firstSeen.Count(r => r.Signature is not null);
        var duplicates = entryDuplicates + checkpointDuplicates;
        var expectedCount = expectedEntries.Count + expectedCheckpoints.Count;
        var missingEntries = expectedEntries.Except(firstEntries).ToList();
        var missingCheckpoints = expectedCheckpoints.Where(c => !seen.Contains(new RsyslogReceiver.ReceivedRecord(c.Sequence, c.Signature))).ToList();
        var duplicateShare = 100.0 * duplicates / expectedCount;
        output.WriteLine($"TCP, portal process SIGKILLed: expected {expectedEntries.Count} entries ({start + 1}..{expectedEntries[^1]}) and " +
            $"{expectedCheckpoints.Count} checkpoints, received {received.Count} records, duplicates {duplicates} ({duplicateShare:0.00} %; " +
            $"entries {entryDuplicates}, checkpoints {checkpointDuplicates}), missing {missingEntries.Count} entries" +
            (missingEntries.Count > 0 ? $" (first: {string.Join(", ", missingEntries.Take(10))})" : "") +
            $" and {missingCheckpoints.Count} checkpoints" +
            (missingCheckpoints.Count > 0 ? $" (at: {string.Join(", ", missingCheckpoints.Take(10).Select(c => c.Sequence))})" : ""));
        var disorder = Enumerable.Range(1, Math.Max(0, firstSeen.Count - 1)).FirstOrDefault(i => firstSeen[i].Sequence < firstSeen[i - 1].Sequence, -1);
        if (disorder >= 0)
        {
            output.WriteLine($"out of order at {disorder}: received {string.Join(",", firstSeen.Skip(Math.Max(0, disorder - 3)).Take(12).Select(r => r.Signature is null ? $"{r.Sequence}" : $"c{r.Sequence}"))}");
        }

        Assert.Empty(_ingested.Except(expectedEntries));
        Assert.Empty(missingEntries);
        Assert.Empty(missingCheckpoints);
        // In order: entries exactly in sequence order, each checkpoint after the entry it covers and before the next.
        Assert.Equal(expectedEntries, firstEntries);
        Assert.Equal(-1, disorder);
        Assert.True(duplicates <= expectedCount / 100, $"{duplicates} duplicates ({duplicateShare:0.00} %) exceed 1 % of {expectedCount} records");
    }

    private async Task<string> CliAsync(params string[] args)
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(), args);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>Ingests in batches; with <paramref name="killAfter201"/>, SIGKILLs the portal as soon as the (one) batch's 201 arrived.</summary>
    private async Task IngestAsync(string key, int count, int batch, int pauseMs, Action? ingested = null, bool killAfter201 = false)
    {
        for (var done = 0; done < count; done += batch)
        {
            var events = new JsonArray([.. Enumerable.Range(0, Math.Min(batch, count - done)).Select(i => (JsonNode)ApiTestClient.Event(_ingested.Count + i))]);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/audit/events")
            {
                Content = new StringContent(events.ToJsonString(), Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await _portal!.Client.SendAsync(request);
            if (killAfter201)
            {
                // Kill first, look at the answer after: nothing may happen between the 201 and the crash.
                _portal.Kill();
                _portal = null;
            }

            var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.Created);
            lock (_ingested)
            {
                _ingested.AddRange(body.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64()));
            }

            for (var i = 0; i < events.Count; i++)
            {
                ingested?.Invoke();
            }

            if (killAfter201)
            {
                return;
            }

            await Task.Delay(pauseMs);
        }
    }

    private async Task<long> HeadAsync(string key, long after)
    {
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/audit/events?after={after}&limit=1000");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await _portal!.Client.SendAsync(request);
            var page = await ApiTestClient.JsonAsync(response, HttpStatusCode.OK);
            after = page.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()).DefaultIfEmpty(after).Max();
            if (!page.GetProperty("more").GetBoolean())
            {
                return after;
            }
        }
    }

    private async Task<string> LatestCheckpointAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/audit/checkpoints/latest");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await _portal!.Client.SendAsync(request);
        return (await ApiTestClient.JsonAsync(response, HttpStatusCode.OK)).GetProperty("signature").GetString()!;
    }

    /// <summary>The server binary on a free loopback port; its output is drained so that a full pipe never blocks it.</summary>
    private sealed class Portal
    {
        private readonly Process _process;

        private Portal(Process process, HttpClient client)
        {
            _process = process;
            Client = client;
        }

        public HttpClient Client { get; }

        public static async Task<Portal> StartAsync(string workingDirectory, Func<string?, Dictionary<string, string?>> environment)
        {
            var url = $"http://127.0.0.1:{AppProcess.FreePort()}";
            var process = AppProcess.Start(workingDirectory, environment(url));
            try
            {
                await AppProcess.WaitUntilReadyAsync(process, new Uri(new Uri(url), "/readyz"), TimeSpan.FromSeconds(60));
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Portal(process, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) });
        }

        /// <summary>SIGKILL on Linux: no shutdown hooks, no flush, no <c>system.stopped</c>.</summary>
        public void Kill()
        {
            Client.Dispose();
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
