using Microsoft.AspNetCore.Hosting;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// The portal behind the shipped nginx + ModSecurity CRS configuration (<see cref="NginxProxy"/>), with the
/// trusted-proxy setting matching it (Network:TrustedProxies = the proxy's address, 127.0.0.1), as
/// deploy/docker-compose.yml pairs them.
/// </summary>
public sealed class ProxiedAdminAppFixture : AdminAppFixture
{
    private NginxProxy? _proxy;

    public NginxProxy Proxy => _proxy ?? throw new InvalidOperationException("The proxy has not started.");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Network:TrustedProxies:0", "127.0.0.1");
    }

    protected override async Task OnStartedAsync() => _proxy = await NginxProxy.StartAsync(BaseAddress);

    protected override async ValueTask OnStoppingAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}

/// <summary>Browser tests through the proxy: their own portal (its trusted-proxy setting differs) and browser.</summary>
[CollectionDefinition(Name)]
public sealed class ProxyCollection : ICollectionFixture<ProxiedAdminAppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "E2E-Proxy";
}
