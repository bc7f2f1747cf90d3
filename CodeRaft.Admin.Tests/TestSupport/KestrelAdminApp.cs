using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;

namespace CodeRaft.Admin.Tests.TestSupport;

/// <summary>
/// The portal on real Kestrel (the source address of a connection matters: TestServer has none), listening on
/// <paramref name="listen"/> (127.0.0.1, or [::] for a dual-stack socket that reports IPv4 clients as IPv4-mapped
/// IPv6), optionally with trusted proxies.
/// </summary>
public sealed class KestrelAdminApp : AdminAppFactory
{
    private readonly string[] _trustedProxies;

    public KestrelAdminApp(IPAddress listen, params string[] trustedProxies)
    {
        _trustedProxies = trustedProxies;
        UseKestrel(kestrel => kestrel.Listen(listen, 0));
    }

    public int Port { get; private set; }

    public void Start()
    {
        StartServer();
        Port = ClientOptions.BaseAddress.Port;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        for (var i = 0; i < _trustedProxies.Length; i++)
        {
            builder.UseSetting($"Network:TrustedProxies:{i}", _trustedProxies[i]);
        }
    }

    /// <summary>A client whose connections come from <paramref name="from"/> (any 127.0.0.0/8 address is local on Linux).</summary>
    public HttpClient ClientFrom(string from)
    {
        var source = IPAddress.Parse(from);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{Port}/") };
    }
}
