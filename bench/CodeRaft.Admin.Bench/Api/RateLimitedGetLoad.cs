using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace CodeRaft.Admin.Bench.Api;

/// <summary>
/// A closed-loop load generator: <c>concurrency</c> workers, each sending the next GET as soon as the previous
/// answer has been read, for a fixed time, over kept-alive loopback connections (no proxy). Counts answers that
/// are not 200 separately; they do not count as throughput.
/// </summary>
internal sealed class HttpLoad(int concurrency) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        MaxConnectionsPerServer = concurrency,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    public async Task<Result> RunAsync(Uri url, IReadOnlyList<string> bearerKeys, TimeSpan duration, CancellationToken cancellationToken)
    {
        long ok = 0, refused = 0, next = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (bearerKeys.Count > 0)
                {
                    // Round-robin over the keys: no key gets near its own limit.
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerKeys[(int)(Interlocked.Increment(ref next) % bearerKeys.Count)]);
                }

                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref refused);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        return new Result(ok, refused, clock.Elapsed);
    }

    public void Dispose() => _client.Dispose();

    internal sealed record Result(long Succeeded, long Refused, TimeSpan Elapsed)
    {
        public double RequestsPerSecond => Succeeded / Elapsed.TotalSeconds;

        public static Result Sum(IEnumerable<Result> results) => results.Aggregate(new Result(0, 0, TimeSpan.Zero),
            (a, b) => new Result(a.Succeeded + b.Succeeded, a.Refused + b.Refused, a.Elapsed + b.Elapsed));
    }
}
