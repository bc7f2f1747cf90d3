using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.ApiKeys;

/// <summary>
/// The real binary on Kestrel: a 201 means committed. The server is killed with SIGKILL right after the answer, started
/// again on the same data directory, and the events are read back unchanged; `audit verify` passes. Also the body limits
/// over a real socket, where Kestrel and not the test host enforces them.
/// </summary>
public sealed class ApiIngestCrashTests : IDisposable
{
    private readonly TempDirectory _work = new("coderaft-api-crash");
    private readonly string _secret = TestSecrets.NewMasterSecret();

    public void Dispose() => _work.Dispose();

    private Dictionary<string, string?> Environment(string? url = null) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Storage__DataDirectory"] = _work.Combine("data"),
        ["CODERAFT_MASTER_SECRET"] = _secret,
        ["ASPNETCORE_URLS"] = url,
    };

    private async Task<string> CreateKeyAsync()
    {
        var result = await AppProcess.RunAsync(_work.Path, Environment(), "apikey", "create", "--name", "crash", "--scopes", "audit:write,audit:read",
            "--rate-limit-per-minute", "100000");
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    private async Task<(System.Diagnostics.Process Process, HttpClient Client)> StartAsync()
    {
        var url = $"http://127.0.0.1:{AppProcess.FreePort()}";
        var process = AppProcess.Start(_work.Path, Environment(url));
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

        return (process, new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) });
    }

    private static async Task StopAsync(System.Diagnostics.Process process)
    {
        process.Kill(entireProcessTree: true); // SIGKILL on Linux: no shutdown hooks, no flush
        await process.WaitForExitAsync();
        process.Dispose();
    }

    private static HttpRequestMessage Post(string key, HttpContent content)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/audit/events") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task Ingest_KilledRightAfter201_EventsPresentAfterRestartAndChainVerifies()
    {
        var key = await CreateKeyAsync();
        var batch = new JsonArray([.. Enumerable.Range(0, 250).Select(i => (JsonNode)ApiTestClient.Event(i, i % 2 == 0 ? "entraguard" : "redfox-bastion"))]);
        List<long> sequences;
        var (process, client) = await StartAsync();
        var killed = false;
        try
        {
            using var response = await client.SendAsync(Post(key, new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/json")));
            // Kill first, look at the answer after: nothing may happen between the 201 and the crash.
            await StopAsync(process);
            killed = true;
            var body = await ApiTestClient.JsonAsync(response, HttpStatusCode.Created);
            sequences = [.. body.GetProperty("sequences").EnumerateArray().Select(s => s.GetInt64())];
        }
        finally
        {
            client.Dispose();
            if (!killed)
            {
                await StopAsync(process);
            }
        }

        Assert.Equal(250, sequences.Count);
        (process, client) = await StartAsync();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/audit/events?after={sequences[0] - 1}&limit=250");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await client.SendAsync(request);
            var entries = (await ApiTestClient.JsonAsync(response, HttpStatusCode.OK)).GetProperty("entries").EnumerateArray().ToList();
            Assert.Equal(sequences, entries.Select(e => e.GetProperty("sequence").GetInt64()));
            for (var i = 0; i < entries.Count; i++)
            {
                var sent = batch[i]!;
                var entry = entries[i];
                Assert.Equal(sent["product"]!.GetValue<string>(), entry.GetProperty("product").GetString());
                Assert.Equal(sent["actorId"]!.GetValue<string>(), entry.GetProperty("actor_id").GetString());
                Assert.Equal(sent["targetId"]!.GetValue<string>(), entry.GetProperty("target_id").GetString());
                var details = JsonNode.Parse(entry.GetProperty("details").GetString()!)!;
                Assert.Equal(i, details["findings"]!.GetValue<int>());
                Assert.Equal(key[..12], details["_ingest"]!["key"]!.GetValue<string>());
            }
        }
        finally
        {
            client.Dispose();
            await StopAsync(process);
        }

        var verify = await AppProcess.RunAsync(_work.Path, Environment(), "audit", "verify");
        Assert.True(verify.ExitCode == 0, verify.StandardOutput + verify.StandardError);
        Assert.StartsWith("OK ", verify.StandardOutput.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_OverKestrel_BodyLimitsAreTheEndpointsOwn()
    {
        var key = await CreateKeyAsync();
        var (process, client) = await StartAsync();
        try
        {
            // 1.5 MB of valid events: over the portal's global 1 MiB limit, within the ingest endpoint's 4 MiB.
            var big = new JsonArray([.. Enumerable.Range(0, 1000).Select(i =>
            {
                var e = ApiTestClient.Event(i);
                e["details"]!["note"] = new string('x', 1500);
                return (JsonNode)e;
            })]).ToJsonString();
            Assert.InRange(Encoding.UTF8.GetByteCount(big), 1_100_000, 4_000_000);
            using (var accepted = await client.SendAsync(Post(key, new StringContent(big, Encoding.UTF8, "application/json"))))
            {
                Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
            }

            // 10 MB declared: refused before it is read.
            var tooBig = new ByteArrayContent(new byte[10 * 1024 * 1024]);
            tooBig.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var declared = Post(key, tooBig);
            declared.Headers.ExpectContinue = true; // a client that waits for the answer before sending 10 MB
            using (var refused = await client.SendAsync(declared))
            {
                await ApiTestClient.ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge);
            }

            // 10 MB chunked: cut off while it is read.
            var chunked = new StreamContent(new MemoryStream(new byte[10 * 1024 * 1024]));
            chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var request = Post(key, chunked);
            request.Headers.TransferEncodingChunked = true;
            request.Headers.ExpectContinue = true;
            try
            {
                using var refused = await client.SendAsync(request);
                await ApiTestClient.ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge);
            }
            catch (HttpRequestException)
            {
                // Kestrel closes the connection after the 413; a client still sending may see the reset first.
            }

            // Other v1 endpoints keep a small limit.
            using var whoami = new HttpRequestMessage(HttpMethod.Get, "/api/v1/whoami") { Content = new ByteArrayContent(new byte[100 * 1024]) };
            whoami.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using (var refused = await client.SendAsync(whoami))
            {
                await ApiTestClient.ProblemAsync(refused, HttpStatusCode.RequestEntityTooLarge);
            }
        }
        finally
        {
            client.Dispose();
            await StopAsync(process);
        }
    }
}
