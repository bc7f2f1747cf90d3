using CodeRaft.Admin.Features.Users;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRaft.Admin.Features.Licenses;

public static class LicensesFeature
{
    /// <summary>Shared by the server and the CLI: trusted keys, verifier, clock, catalog (also the seats and entitlements source).</summary>
    public static IServiceCollection AddLicensesCore(this IServiceCollection services)
    {
        services.AddSingleton(sp => TrustedLicenseKeys.Load(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<TrustedLicenseKeys>()));
        services.AddSingleton<LicenseVerifier>();
        services.AddSingleton<LicenseClock>();
        services.AddSingleton<LicenseCatalog>();
        // Replace the "no license installed" defaults of the users and API features.
        services.Replace(ServiceDescriptor.Singleton<ILicenseSeats>(sp => sp.GetRequiredService<LicenseCatalog>()));
        services.Replace(ServiceDescriptor.Singleton<ILicenseEntitlements>(sp => sp.GetRequiredService<LicenseCatalog>()));
        services.AddSingleton<LicenseManagementCore>();
        return services;
    }

    /// <summary>Server only: the console's service (one per circuit: it holds the circuit's step-up), and the trusted
    /// keys loaded at start-up, so a bad <c>Licensing:TrustedPublicKeyFiles</c> stops the server with its sentence.</summary>
    public static IServiceCollection AddLicenses(this IServiceCollection services)
    {
        services.AddScoped<LicenseService>();
        services.AddHostedService<TrustedKeysStartupCheck>();
        return services;
    }

    private sealed class TrustedKeysStartupCheck(TrustedLicenseKeys keys) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => keys.Keys.Count > 0 ? Task.CompletedTask
            : throw new LicenseConfigurationException("No license public key is embedded in this binary.");

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
