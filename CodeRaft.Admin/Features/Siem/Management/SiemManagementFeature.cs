namespace CodeRaft.Admin.Features.Siem.Management;

public static class SiemManagementFeature
{
    /// <summary>What the server and the CLI share: the validator and the audited core.</summary>
    public static IServiceCollection AddSiemManagementCore(this IServiceCollection services)
    {
        services.AddSingleton<SiemTargetInputValidator>();
        services.AddSingleton<SiemManagementCore>();
        return services;
    }

    /// <summary>The console's <see cref="SiemService"/>, one per circuit (it holds the circuit's step-up).</summary>
    public static IServiceCollection AddSiemManagement(this IServiceCollection services)
    {
        services.AddScoped<SiemService>();
        return services;
    }
}
