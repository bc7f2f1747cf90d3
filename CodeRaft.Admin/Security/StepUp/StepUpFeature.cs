namespace CodeRaft.Admin.Security.StepUp;

public static class StepUpFeature
{
    /// <summary>
    /// Step-up for privileged components (docs/authentication.md, "Step-up"). <see cref="StepUpService"/> is scoped:
    /// one instance per Blazor circuit, i.e. per browser tab, which is what confines an unlock to its tab.
    /// </summary>
    public static IServiceCollection AddStepUp(this IServiceCollection services)
    {
        services.AddOptions<StepUpOptions>().BindConfiguration("Security:StepUp");
        services.AddSingleton<IStepUpPolicy, ConfiguredStepUpPolicy>();
        services.AddOptions<StepUpThrottleOptions>().BindConfiguration("Security:StepUp");
        services.AddSingleton<StepUpThrottle>();
        services.AddScoped<CircuitClient>();
        services.AddScoped<StepUpService>();
        return services;
    }
}
