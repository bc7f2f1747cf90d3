using CodeRaft.Admin.Security.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CodeRaft.Admin.Features.Users;

/// <summary>Section <c>Users</c>.</summary>
public sealed class UsersOptions
{
    public static readonly TimeSpan MinInvitationLifetime = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxInvitationLifetime = TimeSpan.FromDays(30);

    /// <summary>Users:InvitationLifetime — how long a Local-mode activation link works (default 7 days, 1 hour to 30 days).</summary>
    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    // Clamped rather than validated at start-up: a bad value must not keep the portal (or the CLI) from starting,
    // and it can never produce a link that lives for months.
    internal TimeSpan EffectiveInvitationLifetime =>
        InvitationLifetime < MinInvitationLifetime ? MinInvitationLifetime : InvitationLifetime > MaxInvitationLifetime ? MaxInvitationLifetime : InvitationLifetime;
}

public static class UsersFeature
{
    /// <summary>What the server and the CLI share: the core operations, validation, activation, the seat source.</summary>
    public static IServiceCollection AddUsersCore(this IServiceCollection services)
    {
        services.AddOptions<UsersOptions>().BindConfiguration("Users");
        // The licensing feature registers its own ILicenseSeats; until then no license means no seats.
        services.TryAddSingleton<ILicenseSeats, NoLicenseInstalled>();
        // The CLI has no circuits to notify; the server's registration (AddAdminAuthentication) is the same singleton.
        services.TryAddSingleton<SessionRevocations>();
        services.AddSingleton<InviteUserInputValidator>();
        services.AddSingleton<UserManagementCore>();
        services.AddSingleton<InvitationActivationService>();
        return services;
    }

    /// <summary>The console's side: <see cref="UserManagementService"/>, one per circuit (it holds the circuit's step-up).</summary>
    public static IServiceCollection AddUsers(this IServiceCollection services)
    {
        services.AddScoped<UserManagementService>();
        return services;
    }
}
