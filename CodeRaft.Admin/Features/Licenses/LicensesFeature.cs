using CodeRaft.Admin.Features.Users;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRaft.Admin.Features.Licenses;

public static class LicensesFeature
{
    /// <summary>Shared by the server and the CLI: trusted keys, verifier, clock, catalog (also the seats and entitlements source).</summary>
    public static IServiceCollection AddLicensesCore(this IServiceCollection services)
    {
        services.AddSingleton(sp => TrustedLicenseKeys.Load(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IHostEnvironment>()));
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

    /// <summary>Loads the keys at start (a bad file stops the server with its sentence) and says loudly what is trusted
    /// beyond the embedded keys: whoever sets the environment and the setting can issue their own licenses.</summary>
    private sealed class TrustedKeysStartupCheck(TrustedLicenseKeys keys, IHostEnvironment environment, ILogger<TrustedLicenseKeys> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            if (!keys.Keys.Any(k => k.Source == TrustedLicenseKeys.EmbeddedSource))
            {
                throw new LicenseConfigurationException("No license public key is embedded in this binary.");
            }

            if (keys.Keys.Any(k => !k.Trusted))
            {
                logger.LogWarning("{Setting} is ignored in Production: only the license keys embedded in this binary are trusted.", TrustedLicenseKeys.ConfigurationKey);
            }
            else if (keys.Keys.Any(k => k.Source != TrustedLicenseKeys.EmbeddedSource))
            {
                logger.LogWarning("License keys from {Setting} are trusted because the environment is {Environment}, not Production: licenses they sign are development licenses.",
                    TrustedLicenseKeys.ConfigurationKey, environment.EnvironmentName);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
