namespace CodeRaft.Admin.Features.ApiKeys;

public static class ApiKeysFeature
{
    /// <summary>What the server and the CLI share.</summary>
    public static IServiceCollection AddApiKeysCore(this IServiceCollection services)
    {
        services.AddSingleton<ApiKeyInputValidator>();
        services.AddSingleton<ApiKeyManagementCore>();
        return services;
    }
}
