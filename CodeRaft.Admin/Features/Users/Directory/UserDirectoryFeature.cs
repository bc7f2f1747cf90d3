namespace CodeRaft.Admin.Features.Users.Directory;

public static class UserDirectoryFeature
{
    /// <summary>The Users page's read side: the directory query and user detail (stateless, one context per call).</summary>
    public static IServiceCollection AddUserDirectory(this IServiceCollection services)
    {
        services.AddSingleton<UserDirectoryService>();
        return services;
    }
}
