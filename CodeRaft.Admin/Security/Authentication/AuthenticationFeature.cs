using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.Authentication;

public sealed class SessionOptions
{
    /// <summary>Security:Session:IdleTimeout (default 30 minutes): a session unused this long ends.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Security:Session:AbsoluteTimeout (default 12 hours): no session lives longer, however active.</summary>
    public TimeSpan AbsoluteTimeout { get; set; } = TimeSpan.FromHours(12);
}

public static class AuthenticationFeature
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>
    /// Local accounts with a cookie session. Deny by default: every endpoint needs a full sign-in (password and
    /// TOTP) unless it says otherwise ([AllowAnonymous] sign-in/setup/error pages, health checks, static assets).
    /// </summary>
    public static IServiceCollection AddAdminAuthentication(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.AddOptions<SessionOptions>().BindConfiguration("Security:Session");
        services.AddScoped<PasswordHasher<AdminUser>>();
        services.AddAuthentication(Scheme).AddCookie(Scheme, options =>
        {
            options.Cookie.Name = "coderaft-session";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.LoginPath = "/account/signin";
            options.LogoutPath = "/account/signout";
            // Refused: a first-factor-only session is sent on to TOTP enrollment, a full one is told its role lacks the screen.
            options.AccessDeniedPath = "/access-denied";
            options.SlidingExpiration = true;
            options.Events.OnValidatePrincipal = SessionValidator.ValidateAsync;
        });
        services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<Microsoft.Extensions.Options.IOptions<SessionOptions>>((cookie, session) =>
            cookie.ExpireTimeSpan = session.Value.IdleTimeout);

        services.AddAuthorizationBuilder()
            .AddPolicy(AdminClaims.FullySignedInPolicy, p => p.RequireAuthenticatedUser().RequireClaim(AdminClaims.Mfa, AdminClaims.MfaTotp))
            .AddPolicy(AdminClaims.FirstFactorPolicy, p => p.RequireAuthenticatedUser())
            .AddAdminPolicies() // users.manage, audit.read, licenses.manage, … (Security/Authorization/AdminPermissions.cs)
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(AdminClaims.Mfa, AdminClaims.MfaTotp).Build());
        // Authentication:Mode Oidc / EntraId: the provider for the first factor (nothing is added for Local).
        services.AddOidcModes(configuration ?? FindConfiguration(services));
        services.AddCascadingAuthenticationState();
        services.TryAddSingleton<SessionRevocations>(); // also registered by AddUsersCore (the CLI has no circuits)
        services.AddSingleton<SignOutEverywhereService>();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RevalidatingAdminAuthenticationStateProvider>();
        return services;
    }

    /// <summary>The host's configuration as registered by the (web application) builder.</summary>
    private static IConfiguration FindConfiguration(IServiceCollection services)
    {
        var descriptor = services.LastOrDefault(d => d.ServiceType == typeof(IConfiguration) && !d.IsKeyedService);
        return descriptor?.ImplementationInstance as IConfiguration
            ?? descriptor?.ImplementationFactory?.Invoke(null!) as IConfiguration
            ?? new ConfigurationBuilder().Build();
    }
}

/// <summary>
/// Runs on every request with a session cookie: the absolute lifetime, and the user's current state (active,
/// same security stamp, same role) — a disabled user or a changed role ends the session at the next request.
/// </summary>
internal static class SessionValidator
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var session = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SessionOptions>>().Value;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (!long.TryParse(context.Principal?.FindFirst(AdminClaims.IssuedAt)?.Value, out var issued)
            || now - DateTimeOffset.FromUnixTimeSeconds(issued) > session.AbsoluteTimeout
            || !await StillValidAsync(services.GetRequiredService<IDbContextFactory<AdminDbContext>>(), context.Principal!, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthenticationFeature.Scheme);
        }
    }

    public static async Task<bool> StillValidAsync(IDbContextFactory<AdminDbContext> contexts, System.Security.Claims.ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(principal.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var id))
        {
            return false;
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Status, u.SecurityStamp, u.Role }).SingleOrDefaultAsync(cancellationToken);
        return user is not null
            && user.Status == AdminUserStatus.Active
            && user.SecurityStamp == principal.FindFirst(AdminClaims.SecurityStamp)?.Value
            && user.Role.ToString() == principal.FindFirst(System.Security.Claims.ClaimTypes.Role)?.Value;
    }
}

/// <summary>
/// Re-checks the circuit's user every 30 seconds, so open pages lose access within 30 s of a change made anywhere,
/// and at once when this process signals a change through <see cref="SessionRevocations"/>.
/// </summary>
internal sealed class RevalidatingAdminAuthenticationStateProvider : Microsoft.AspNetCore.Components.Server.RevalidatingServerAuthenticationStateProvider
{
    private static readonly Microsoft.AspNetCore.Components.Authorization.AuthenticationState SignedOut = new(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity()));
    private readonly IDbContextFactory<AdminDbContext> _contexts;
    private readonly SessionRevocations _revocations;
    private readonly CancellationTokenSource _disposed = new();

    public RevalidatingAdminAuthenticationStateProvider(ILoggerFactory loggerFactory, IDbContextFactory<AdminDbContext> contexts, SessionRevocations revocations)
        : base(loggerFactory)
    {
        _contexts = contexts;
        _revocations = revocations;
        _revocations.Revoked += OnRevoked;
    }

    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override Task<bool> ValidateAuthenticationStateAsync(Microsoft.AspNetCore.Components.Authorization.AuthenticationState authenticationState, CancellationToken cancellationToken) =>
        SessionValidator.StillValidAsync(_contexts, authenticationState.User, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _revocations.Revoked -= OnRevoked;
            _disposed.Cancel();
            _disposed.Dispose();
        }

        base.Dispose(disposing);
    }

    private void OnRevoked(Guid userId) => _ = RecheckAsync(userId);

    private async Task RecheckAsync(Guid userId)
    {
        try
        {
            var state = await GetAuthenticationStateAsync();
            if (!Guid.TryParse(state.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, out var current) || current != userId)
            {
                return;
            }

            if (!await SessionValidator.StillValidAsync(_contexts, state.User, _disposed.Token))
            {
                // The same thing the 30-second loop does when validation fails: the circuit becomes anonymous and
                // every [Authorize] view re-renders as signed out.
                SetAuthenticationState(Task.FromResult(SignedOut));
            }
        }
        catch (OperationCanceledException)
        {
            // The circuit ended meanwhile.
        }
        catch (ObjectDisposedException)
        {
            // The circuit ended meanwhile.
        }
    }
}
