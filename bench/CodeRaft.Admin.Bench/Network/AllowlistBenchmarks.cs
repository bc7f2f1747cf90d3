using System.Net;
using BenchmarkDotNet.Attributes;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Security.Network;
using Microsoft.AspNetCore.Http;

namespace CodeRaft.Admin.Bench.Network;

/// <summary>
/// One request through a minimal pipeline (the terminal delegate answers 204), without and with the allowlist
/// middleware holding 1,000 console entries. The difference is what the allowlist costs a request.
/// Shapes: <c>typical</c> — 1,000 ranges over the few prefix lengths real lists use (/8 … /32 and IPv6 /32, /48,
/// /64, /128); <c>worst-v4</c> — 1,000 IPv4 ranges spread over all 33 prefix lengths, the client matched only by a
/// /32 (every length is looked up); <c>worst-v6</c> — the same over all 129 IPv6 prefix lengths.
/// </summary>
public class AllowlistBenchmarks
{
    private DefaultHttpContext _context = null!;
    private RequestDelegate _terminal = null!;
    private NetworkAllowlistMiddleware _middleware = null!;

    [Params("typical", "worst-v4", "worst-v6")]
    public string Shape { get; set; } = "typical";

    [GlobalSetup]
    public void Setup()
    {
        var (entries, client) = Build(Shape);
        var allowlist = new NetworkAllowlist(null!);
        allowlist.Use(new NetworkAllowlist.Snapshot(1, IpRangeSet.Create(entries), IpRangeSet.Empty));
        if (!allowlist.IsAllowed(AllowlistScope.Ui, client) || allowlist.Current.Ui.Count != 1000)
        {
            throw new InvalidOperationException($"The {Shape} list must hold 1,000 ranges and allow the client.");
        }

        _terminal = context =>
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        };
        // Allowed requests never reach the aggregator (it counts refusals only).
        _middleware = new NetworkAllowlistMiddleware(_terminal, allowlist, null!);
        _context = new DefaultHttpContext();
        _context.Request.Path = "/users";
        _context.Connection.RemoteIpAddress = client;
    }

    [Benchmark(Baseline = true)]
    public Task WithoutAllowlist() => _terminal(_context);

    [Benchmark]
    public Task WithAllowlist() => _middleware.InvokeAsync(_context);

    private static (List<IPNetwork> Entries, IPAddress Client) Build(string shape)
    {
        var entries = new List<IPNetwork>();
        switch (shape)
        {
            case "typical":
                for (var i = 0; i < 600; i++)
                {
                    entries.Add(IPNetwork.Parse($"10.{i / 256}.{i % 256}.0/24"));
                }

                for (var i = 0; i < 200; i++)
                {
                    entries.Add(IPNetwork.Parse($"192.0.{i / 200}.{i}/32"));
                }

                for (var i = 0; i < 100; i++)
                {
                    entries.Add(IPNetwork.Parse($"172.{16 + (i / 50)}.{i % 50}.0/{(i % 2 == 0 ? 24 : 28)}"));
                }

                for (var i = 0; i < 100; i++)
                {
                    entries.Add(IPNetwork.Parse(i switch
                    {
                        < 25 => $"2001:db8:{i:x}::/48",
                        < 50 => $"{0x3000 + i:x}::/32",
                        < 75 => $"2001:db8:ffff:{i:x}::/64",
                        _ => $"2001:db8:eeee::{i:x}/128",
                    }));
                }

                return (entries, IPAddress.Parse("192.0.0.150"));

            case "worst-v4":
                for (var i = 0; entries.Count < 999; i++)
                {
                    var length = i % 32; // /0 … /31, never containing the client (100.64.0.0/10 is left out)
                    var network = new IPNetwork(CidrText.Masked(IPAddress.Parse($"{1 + (i % 90)}.{i % 256}.{(i * 7) % 256}.{(i * 13) % 256}"), length), length);
                    if (length > 0 && !network.Contains(IPAddress.Parse("100.64.0.1")))
                    {
                        entries.Add(network);
                    }
                }

                entries = [.. entries.Distinct().Take(999)];
                while (entries.Count < 999)
                {
                    entries.Add(IPNetwork.Parse($"203.0.{entries.Count % 256}.{entries.Count / 256}/32"));
                }

                entries.Add(IPNetwork.Parse("100.64.0.1/32"));
                return (entries, IPAddress.Parse("100.64.0.1"));

            default:
                var random = new Random(42);
                while (entries.Count < 999)
                {
                    var length = 1 + random.Next(127);
                    var bytes = new byte[16];
                    random.NextBytes(bytes);
                    bytes[0] = (byte)(0x20 | (bytes[0] & 0x0F)); // 2000::/4, never fd00::
                    var network = new IPNetwork(CidrText.Masked(new IPAddress(bytes), length), length);
                    if (!network.Contains(IPAddress.Parse("fd00::1")) && !entries.Contains(network))
                    {
                        entries.Add(network);
                    }
                }

                entries.Add(IPNetwork.Parse("fd00::1/128"));
                return (entries, IPAddress.Parse("fd00::1"));
        }
    }
}
