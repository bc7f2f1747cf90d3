using System.Security.Claims;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Infrastructure.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace CodeRaft.Admin.Security.Authentication;

/// <summary><c>Authentication:Mode</c> (CONTRACTS §1).</summary>
public enum AuthenticationMode
{
    Local,
    EntraId,
    Oidc,
}

/// <summary>Which claims of the provider's ID token carry the name, the e-mail address and the roles (<c>Oidc:ClaimMapping</c>).</summary>
public sealed class OidcClaimMapping
{
    public string NameClaim { get; set; } = "name";
    public string EmailClaim { get; set; } = "email";
    public string RolesClaim { get; set; } = "roles";
}

/// <summary>Section <c>Oidc</c>: any standard provider, plain <c>AddOpenIdConnect</c>, code flow + PKCE.</summary>
public sealed class OidcSettings
{
    public string Authority { get; set; } = "";
    public string ClientId { get; set; } = "";
    public string? ClientSecret { get; set; }
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Extra scopes, space-separated; <c>openid profile email</c> are always asked for.</summary>
    public string? Scope { get; set; }

    public OidcClaimMapping ClaimMapping { get; set; } = new();
}

/// <summary>
/// The OIDC modes. The provider proves the first factor (and its own MFA); the portal then maps the identity to a
/// <c>users</c> row and continues exactly as a Local sign-in after the password: TOTP code (pending cookie and
/// /account/signin/code) or, without TOTP yet, a first-factor session that can only enroll.
///
///   /account/signin/external --challenge--> provider --code+PKCE--> /signin-oidc --OnTokenValidated-->
///       unknown / disabled identity:  /account/signin/refused  (audit auth.signin_refused)
///       TOTP enrolled:                 pending cookie --> /account/signin/code --> session with "mfa"
///       not enrolled:                  first-factor session --> /account (enrollment)
///   The provider's ID token is kept with our cookies for sign-out, which ends the provider's session too (OidcSignOut).
/// </summary>
public static class OidcAuthentication
{
    /// <summary>The OpenID Connect scheme in both OIDC modes.</summary>
    public const string Scheme = "oidc";

    public const string RefusedPath = "/account/signin/refused";

    public static AuthenticationMode ReadMode(IConfiguration configuration)
    {
        var text = configuration["Authentication:Mode"];
        if (string.IsNullOrWhiteSpace(text))
        {
            return AuthenticationMode.Local;
        }

        return Enum.TryParse<AuthenticationMode>(text.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new AdminStartupException($"Authentication:Mode '{text}' is not one of Local, EntraId, Oidc.");
    }

    /// <summary>Registers the provider for Mode=Oidc or Mode=EntraId; nothing for Local.</summary>
    public static IServiceCollection AddOidcModes(this IServiceCollection services, IConfiguration configuration)
    {
        var mode = ReadMode(configuration);
        services.AddSingleton(new AuthenticationModeInfo(mode));
        if (mode == AuthenticationMode.Local)
        {
            return services;
        }

        services.AddSingleton<IAdminInitializer, BootstrapOwnerInitializer>();
        var settings = configuration.GetSection("Oidc").Get<OidcSettings>() ?? new OidcSettings();
        if (mode == AuthenticationMode.Oidc)
        {
            if (string.IsNullOrWhiteSpace(settings.Authority) || string.IsNullOrWhiteSpace(settings.ClientId))
            {
                throw new AdminStartupException("Authentication:Mode is Oidc: set Oidc:Authority and Oidc:ClientId.");
            }

            services.AddAuthentication().AddOpenIdConnect(Scheme, "Your organization", o =>
            {
                o.Authority = settings.Authority;
                o.ClientId = settings.ClientId;
                o.ClientSecret = settings.ClientSecret;
                o.RequireHttpsMetadata = settings.RequireHttpsMetadata;
                o.Scope.Clear();
                foreach (var scope in $"openid profile email {settings.Scope}".Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal))
                {
                    o.Scope.Add(scope);
                }

                o.TokenValidationParameters.NameClaimType = settings.ClaimMapping.NameClaim;
                o.TokenValidationParameters.RoleClaimType = settings.ClaimMapping.RolesClaim;
            });
        }
        else
        {
            var azureAd = configuration.GetSection("AzureAd");
            if (string.IsNullOrWhiteSpace(azureAd["ClientId"]) || string.IsNullOrWhiteSpace(azureAd["TenantId"]))
            {
                throw new AdminStartupException("Authentication:Mode is EntraId: set AzureAd:Instance, AzureAd:TenantId, AzureAd:ClientId and AzureAd:ClientSecret.");
            }

            // cookieScheme null: the portal's own "Cookies" scheme is the session; the provider's result never
            // becomes one directly (OnTokenValidated below replaces it).
            services.AddAuthentication().AddMicrosoftIdentityWebApp(azureAd, openIdConnectScheme: Scheme, cookieScheme: null);
            services.Configure<MicrosoftIdentityOptions>(Scheme, o =>
            {
                o.ResponseType = OpenIdConnectResponseType.Code; // Microsoft.Identity.Web's default is id_token
                o.UsePkce = true;
                o.SaveTokens = false;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.RoleClaimType = "roles";
            });
        }

        // For both modes, after the provider-specific configuration (Microsoft.Identity.Web's handler runs first).
        services.AddOptions<OpenIdConnectOptions>(Scheme).PostConfigure(o =>
        {
            o.ResponseType = OpenIdConnectResponseType.Code;
            o.UsePkce = true;
            o.SaveTokens = false;
            o.MapInboundClaims = false;
            o.SignInScheme = AuthenticationFeature.Scheme;
            // No provider-initiated (front-channel) sign-out endpoint: /signout-oidc would clear our session cookie on
            // any cross-site GET when the session carries no sid to compare (logout CSRF). Our cookie is
            // SameSite=Strict and our pages refuse framing, so front-channel logout could not work anyway.
            o.RemoteSignOutPath = PathString.Empty;
            OidcSignOut.Configure(o);
            var previous = o.Events.OnTokenValidated;
            o.Events.OnTokenValidated = async context =>
            {
                await previous(context);
                if (context.Result is null)
                {
                    await OidcSignIn.OnTokenValidatedAsync(context, mode, mode == AuthenticationMode.Oidc ? settings.ClaimMapping : EntraClaimMapping);
                }
            };
            var remoteFailure = o.Events.OnRemoteFailure;
            o.Events.OnRemoteFailure = async context =>
            {
                await remoteFailure(context);
                if (context.Result is null)
                {
                    // Cancelled at the provider, expired correlation...: back to the sign-in page, with one message.
                    context.HandleResponse();
                    context.Response.Redirect("/account/signin?error=external");
                }
            };
        });
        return services;
    }

    private static readonly OidcClaimMapping EntraClaimMapping = new() { NameClaim = "name", EmailClaim = "email", RolesClaim = "roles" };

    /// <summary>GET /account/signin/external?returnUrl=/x: challenges the provider, coming back to a local path only.</summary>
    public static IEndpointRouteBuilder MapOidcEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/account/signin/external", (string? returnUrl, HttpContext http, AuthenticationModeInfo modeInfo) =>
            modeInfo.IsExternal
                ? Results.Challenge(new AuthenticationProperties { RedirectUri = AccountEndpoints.LocalUrl(returnUrl) }, [Scheme])
                : Results.NotFound()).AllowAnonymous();
        return endpoints;
    }
}

/// <summary>The configured mode, for pages (the sign-in page offers the provider or the password form).</summary>
public sealed record AuthenticationModeInfo(AuthenticationMode Mode)
{
    public bool IsExternal => Mode != AuthenticationMode.Local;
}

/// <summary>The identity the provider vouched for.</summary>
public sealed record ExternalIdentity(string Issuer, string Subject, string? Email, string? Name, bool EmailVerified = true);

public enum OidcMatchOutcome
{
    /// <summary>Already bound to this issuer + subject.</summary>
    Matched,

    /// <summary>Found by e-mail (Invited or Active, no external identity yet): bind it now.</summary>
    Bind,

    /// <summary>Unknown, and just-in-time creation is enabled: create an Active Viewer.</summary>
    CreateViewer,
    RefusedUnknown,
    RefusedDisabled,
}

public sealed record OidcMatch(OidcMatchOutcome Outcome, AdminUser? User)
{
    public bool Refused => Outcome is OidcMatchOutcome.RefusedUnknown or OidcMatchOutcome.RefusedDisabled;
}

/// <summary>The matching rules, free of I/O (unit-tested).</summary>
public static class OidcUserMatching
{
    /// <param name="candidates">The users bound to the identity's issuer + subject and those with its e-mail address.</param>
    public static OidcMatch Match(IEnumerable<AdminUser> candidates, ExternalIdentity identity, bool justInTimeViewers)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(identity);
        var list = candidates.ToList();
        if (identity.Issuer.Length == 0 || identity.Subject.Length == 0)
        {
            return new OidcMatch(OidcMatchOutcome.RefusedUnknown, null);
        }

        var bound = list.FirstOrDefault(u =>
            string.Equals(u.ExternalIssuer, identity.Issuer, StringComparison.Ordinal)
            && string.Equals(u.ExternalSubject, identity.Subject, StringComparison.Ordinal));
        if (bound is not null)
        {
            return new OidcMatch(bound.Status == AdminUserStatus.Disabled ? OidcMatchOutcome.RefusedDisabled : OidcMatchOutcome.Matched, bound);
        }

        var email = identity.Email?.Trim();
        if (!string.IsNullOrEmpty(email) && identity.EmailVerified)
        {
            var byEmail = list.FirstOrDefault(u => string.Equals(u.Email?.Trim(), email, StringComparison.OrdinalIgnoreCase));
            if (byEmail is not null)
            {
                if (byEmail.Status == AdminUserStatus.Disabled)
                {
                    return new OidcMatch(OidcMatchOutcome.RefusedDisabled, byEmail);
                }

                // Bound to another identity already: an e-mail address never moves an account to a new identity.
                return byEmail.ExternalIssuer.Length == 0 && byEmail.ExternalSubject.Length == 0
                    ? new OidcMatch(OidcMatchOutcome.Bind, byEmail)
                    : new OidcMatch(OidcMatchOutcome.RefusedUnknown, null);
            }
        }

        return new OidcMatch(justInTimeViewers ? OidcMatchOutcome.CreateViewer : OidcMatchOutcome.RefusedUnknown, null);
    }
}

/// <summary>Turns the provider's validated token into the portal's own (pending or first-factor) cookie.</summary>
internal static class OidcSignIn
{
    public static ExternalIdentity ReadIdentity(ClaimsPrincipal principal, string? tokenIssuer, AuthenticationMode mode, OidcClaimMapping mapping)
    {
        var sub = principal.FindFirst("sub");
        // Entra: the object id is the stable, app-independent identifier ("sub" is pairwise per application).
        var subject = mode == AuthenticationMode.EntraId ? principal.FindFirst("oid")?.Value ?? sub?.Value : sub?.Value;
        var issuer = tokenIssuer ?? sub?.Issuer ?? "";
        var email = principal.FindFirst(mapping.EmailClaim)?.Value;
        if (string.IsNullOrEmpty(email) && mode == AuthenticationMode.EntraId)
        {
            email = principal.FindFirst("preferred_username")?.Value;
        }

        var verified = !string.Equals(principal.FindFirst("email_verified")?.Value, "false", StringComparison.OrdinalIgnoreCase);
        return new ExternalIdentity(issuer, subject ?? "", email, principal.FindFirst(mapping.NameClaim)?.Value, verified);
    }

    public static async Task OnTokenValidatedAsync(TokenValidatedContext context, AuthenticationMode mode, OidcClaimMapping mapping)
    {
        var http = context.HttpContext;
        var services = http.RequestServices;
        var contexts = services.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        var audit = services.GetRequiredService<AuditWriter>();
        var time = services.GetRequiredService<TimeProvider>();
        var configuration = services.GetRequiredService<IConfiguration>();
        var justInTime = configuration.GetValue("Authentication:JustInTimeViewers", false);
        var sourceIp = http.Connection.RemoteIpAddress?.ToString() ?? "";
        var back = AccountEndpoints.LocalUrl(context.Properties?.RedirectUri);

        // Kept with our own cookie for the id_token_hint at sign-out (code flow: the ID token came from the token endpoint).
        var keepIdToken = OidcSignOut.KeepingIdToken(context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken);

        var identity = ReadIdentity(context.Principal ?? new ClaimsPrincipal(), context.SecurityToken?.Issuer, mode, mapping);
        identity = identity with
        {
            Issuer = Clip(identity.Issuer, 512),
            Subject = Clip(identity.Subject, 256),
            Email = identity.Email is null ? null : Clip(identity.Email.Trim(), 256),
            Name = identity.Name is null ? null : Clip(identity.Name, 256),
        };

        await using var db = await contexts.CreateDbContextAsync(http.RequestAborted);
        var normalized = identity.Email?.ToUpperInvariant();
        var user = await audit.ExecuteAsync(db, async ct =>
        {
            var candidates = await db.Users
                .Where(u => (u.ExternalIssuer == identity.Issuer && u.ExternalSubject == identity.Subject)
                    || (normalized != null && u.NormalizedEmail == normalized))
                .ToListAsync(ct);
            var match = OidcUserMatching.Match(candidates, identity, justInTime);
            if (match.Refused)
            {
                return ((AdminUser?)null, (IReadOnlyList<AuditEvent>)
                [
                    new AuditEvent
                    {
                        Category = "auth",
                        Action = "auth.signin_refused",
                        Outcome = AuditVocabulary.Denied,
                        Actor = match.User is null ? AuditActor.Anonymous : AuditActor.User(match.User.Id.ToString(), match.User.DisplayName),
                        SourceIp = sourceIp,
                        Details = AuditDetails.Of(
                            ("mode", mode.ToString()),
                            ("issuer", identity.Issuer),
                            ("subject", identity.Subject),
                            ("email", identity.Email),
                            ("reason", match.Outcome == OidcMatchOutcome.RefusedDisabled ? "disabled" : "unknown")),
                    },
                ]);
            }

            var now = time.GetUtcNow().UtcDateTime;
            var events = new List<AuditEvent>();
            var target = match.User;
            if (match.Outcome == OidcMatchOutcome.CreateViewer)
            {
                target = AdminUser.Create(identity.Email ?? identity.Subject, identity.Email, identity.Name ?? identity.Email ?? "",
                    AdminRole.Viewer, AdminUserStatus.Active, now);
                target.ExternalIssuer = identity.Issuer;
                target.ExternalSubject = identity.Subject;
                db.Users.Add(target);
                events.Add(new AuditEvent
                {
                    Category = "users",
                    Action = "user.created",
                    Actor = AuditActor.System,
                    SourceIp = sourceIp,
                    TargetType = "user",
                    TargetId = target.Id.ToString(),
                    Details = AuditDetails.Of(("role", nameof(AdminRole.Viewer)), ("email", identity.Email), ("via", "just-in-time"),
                        ("issuer", identity.Issuer), ("subject", identity.Subject)),
                });
            }
            else if (match.Outcome == OidcMatchOutcome.Bind)
            {
                target!.ExternalIssuer = identity.Issuer;
                target.ExternalSubject = identity.Subject;
                events.Add(new AuditEvent
                {
                    Category = "users",
                    Action = "user.identity_bound",
                    Actor = AuditActor.User(target.Id.ToString(), target.DisplayName),
                    SourceIp = sourceIp,
                    TargetType = "user",
                    TargetId = target.Id.ToString(),
                    Details = AuditDetails.Of(("issuer", identity.Issuer), ("subject", identity.Subject), ("email", identity.Email)),
                });
            }

            if (target!.Status == AdminUserStatus.Invited)
            {
                target.Status = AdminUserStatus.Active;
            }

            if (string.IsNullOrEmpty(target.DisplayName) && !string.IsNullOrEmpty(identity.Name))
            {
                target.DisplayName = identity.Name;
            }

            target.SecurityStamp ??= Guid.NewGuid().ToString();
            target.LastSignInAt = now;
            events.Add(new AuditEvent
            {
                Category = "auth",
                Action = "auth.external_verified",
                Actor = AuditActor.User(target.Id.ToString(), target.DisplayName),
                SourceIp = sourceIp,
                Details = AuditDetails.Of(("mode", mode.ToString()), ("issuer", identity.Issuer), ("subject", identity.Subject)),
            });
            return ((AdminUser?)target, (IReadOnlyList<AuditEvent>)events);
        }, http.RequestAborted);

        context.HandleResponse();
        string next;
        if (user is null)
        {
            next = OidcAuthentication.RefusedPath;
        }
        else if (user.TotpSecret is null)
        {
            await http.SignInAsync(AuthenticationFeature.Scheme, AdminClaims.Principal(user, secondFactorDone: false, time.GetUtcNow(), AuthenticationFeature.Scheme), keepIdToken);
            next = "/account";
        }
        else
        {
            await http.SignInAsync(AccountEndpoints.PendingScheme, AccountEndpoints.PendingPrincipal(user.Id), keepIdToken);
            next = $"/account/signin/code?returnUrl={Uri.EscapeDataString(back)}";
        }

        // The provider posts the code from its own site: a 302 from here would carry on that cross-site navigation.
        await SameSiteNavigation.WritePageAsync(http.Response, next, "Signing in…");
    }

    private static string Clip(string value, int max) => value.Length > max ? value[..max] : value;
}

/// <summary>
/// OIDC modes: with no user at all and <c>Bootstrap:OwnerEmail</c> set, creates an Invited Owner with that address;
/// the first sign-in through the provider with that e-mail binds the identity (and enrolls TOTP).
/// </summary>
internal sealed class BootstrapOwnerInitializer(IConfiguration configuration, IDbContextFactory<AdminDbContext> contexts, AuditWriter audit, TimeProvider time)
    : IAdminInitializer
{
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var email = configuration["Bootstrap:OwnerEmail"]?.Trim();
        if (OidcAuthentication.ReadMode(configuration) == AuthenticationMode.Local || string.IsNullOrEmpty(email))
        {
            return;
        }

        if (email.Length > 256 || !System.Net.Mail.MailAddress.TryCreate(email, out _))
        {
            throw new AdminStartupException($"Bootstrap:OwnerEmail '{email}' is not an e-mail address.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await audit.ExecuteAsync(db, async ct =>
        {
            if (await db.Users.AnyAsync(ct))
            {
                return (false, (IReadOnlyList<AuditEvent>)[]);
            }

            var owner = AdminUser.Create(email, email, "", AdminRole.Owner, AdminUserStatus.Invited, time.GetUtcNow().UtcDateTime);
            db.Users.Add(owner);
            return (true, (IReadOnlyList<AuditEvent>)
            [
                new AuditEvent
                {
                    Category = "users",
                    Action = "user.invited",
                    Actor = AuditActor.System,
                    TargetType = "user",
                    TargetId = owner.Id.ToString(),
                    Details = AuditDetails.Of(("role", nameof(AdminRole.Owner)), ("email", email), ("via", "Bootstrap:OwnerEmail")),
                },
            ]);
        }, cancellationToken);
    }
}
