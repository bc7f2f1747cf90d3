using Microsoft.AspNetCore.SignalR;
using CodeRaft.Admin.Infrastructure.Hosting;

namespace CodeRaft.Admin.Features.Network;

public static class NetworkFeature
{
    /// <summary>What the server and the CLI share: the lists, their store and their audited changes.</summary>
    public static IServiceCollection AddNetworkCore(this IServiceCollection services)
    {
        services.AddSingleton<NetworkAllowlist>();
        services.AddSingleton<NetworkAllowlistCore>();
        services.AddSingleton<IAdminInitializer, NetworkAllowlistInitializer>();
        return services;
    }

    /// <summary>The server's side: noticing changes made by other processes.</summary>
    public static IServiceCollection AddNetwork(this IServiceCollection services)
    {
        services.AddHostedService<NetworkAllowlistPoller>();
        services.AddSingleton<CircuitAddressGuard>();
        services.AddScoped<NetworkSettingsService>();
        // A global hub filter: it applies to Blazor's ComponentHub, the console's only hub.
        services.AddSignalR(options => options.AddFilter<CircuitAddressGuard>());
        return services;
    }
}

/// <summary>Loads the lists before the first request is served, so no request ever sees the empty placeholder.</summary>
internal sealed class NetworkAllowlistInitializer(NetworkAllowlist allowlist) : IAdminInitializer
{
    public Task InitializeAsync(CancellationToken cancellationToken) => allowlist.RefreshAsync(cancellationToken);
}
