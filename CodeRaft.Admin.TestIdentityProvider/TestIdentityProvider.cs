using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CodeRaft.Admin.TestIdentityProvider.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using OpenIddict.Server;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CodeRaft.Admin.TestIdentityProvider;

/// <summary>
/// A real OpenID Connect provider (OpenIddict 7) on real Kestrel, in the test process, on 127.0.0.1 and a port the
/// OS picks: authorization code flow with PKCE required, refresh tokens, userinfo, end-session, discovery and
/// JWKS, with throwaway keys and an in-memory SQLite store. The login page is one button per
/// <see cref="TestUser"/>. See readme.md beside this file for the flow and for each portal mode's settings.
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ProviderState _state;
    private readonly SqliteConnection _database;
    private readonly X509Certificate2? _tlsCertificate;
    private readonly RSA _signingKey;
    private bool _disposed;

    private TestIdentityProvider(
        WebApplication app, ProviderState state, SqliteConnection database, X509Certificate2? tlsCertificate, RSA signingKey)
    {
        _app = app;
        _state = state;
        _database = database;
        _tlsCertificate = tlsCertificate;
        _signingKey = signingKey;
    }

    public TestIdentityProviderShape Shape => _state.Shape;

    /// <summary><c>http://127.0.0.1:{port}/</c> (generic) or <c>https://localhost:{port}/</c> (Entra-shaped).</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>
    /// The <c>iss</c> of every token, exactly as discovery announces it: <c>http://127.0.0.1:{port}/</c> (generic) or
    /// <c>https://localhost:{port}/{tenantId}/v2.0</c> (Entra-shaped).
    /// </summary>
    public string Issuer => _state.Issuer.AbsoluteUri;

    /// <summary>What to put in <c>OpenIdConnectOptions.Authority</c>; the same as <see cref="Issuer"/>.</summary>
    public string Authority => Issuer;

    /// <summary>The discovery document; <c>Authority</c> + <c>/.well-known/openid-configuration</c> in both shapes.</summary>
    public Uri MetadataAddress => new(BaseAddress, _state.Layout.Configuration);

    /// <summary>The Entra tenant id in paths, issuer and <c>tid</c> (meaningful for the Entra shape only).</summary>
    public string TenantId => _state.TenantId;

    /// <summary>
    /// <c>AzureAd:Instance</c> for Microsoft.Identity.Web, which builds the authority as <c>{Instance}{TenantId}/v2.0</c>.
    /// </summary>
    public string Instance => BaseAddress.AbsoluteUri;

    /// <summary>Where the end-session endpoint sends a browser that gave no <c>post_logout_redirect_uri</c>.</summary>
    public Uri SignedOutPage => new(BaseAddress, _state.Layout.SignedOut);

    /// <summary>The TLS certificate of the Entra shape (public part only); <see langword="null"/> for the generic shape.</summary>
    public X509Certificate2? TlsCertificate { get; private set; }

    /// <summary>The users on the login page, ordered by subject.</summary>
    public IReadOnlyList<TestUser> Users => _state.Users;

    /// <summary>What the provider did so far, in order.</summary>
    public IReadOnlyList<TestIdentityProviderEvent> Events => _state.Events;

    /// <summary>The <c>data-testid</c> of a user's button on the login page (Playwright: <c>page.GetByTestId(...)</c>).</summary>
    public static string UserButtonTestId(string subject) => LoginPage.UserButtonTestId(subject);

    /// <summary>The <c>data-testid</c> of the login page's Cancel button, which answers <c>access_denied</c>.</summary>
    public static string CancelButtonTestId => LoginPage.CancelButtonTestId;

    public static Task<TestIdentityProvider> StartGenericAsync(params TestUser[] users) =>
        StartAsync(TestIdentityProviderShape.Generic, users);

    public static Task<TestIdentityProvider> StartEntraAsync(params TestUser[] users) =>
        StartAsync(TestIdentityProviderShape.Entra, users);

    private static Task<TestIdentityProvider> StartAsync(TestIdentityProviderShape shape, TestUser[] users)
    {
        var options = new TestIdentityProviderOptions { Shape = shape };
        foreach (TestUser user in users)
        {
            options.Users.Add(user);
        }

        return StartAsync(options);
    }

    public static async Task<TestIdentityProvider> StartAsync(TestIdentityProviderOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.TenantId) || options.TenantId.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("TenantId must be one path segment, e.g. a GUID.", nameof(options));
        }

        var state = new ProviderState(options, ProviderLayout.For(options.Shape, options.TenantId));
        X509Certificate2? certificate = options.Shape == TestIdentityProviderShape.Entra ? LoopbackCertificate.Create() : null;

        // A named shared-cache in-memory database lives as long as one connection to it stays open; every DbContext
        // opens its own connection, so concurrent requests never share a SqliteConnection.
        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = $"test-idp-{Guid.NewGuid():N}",
            Mode = SqliteOpenMode.Memory,
            Cache = SqliteCacheMode.Shared,
        }.ToString();
        var database = new SqliteConnection(connectionString);
        var signingKey = RSA.Create(2048);

        WebApplication? app = null;
        try
        {
            await database.OpenAsync(cancellationToken);
            app = Build(options, state, connectionString, certificate, signingKey);
            var provider = new TestIdentityProvider(app, state, database, certificate, signingKey);

            await using (AsyncServiceScope scope = app.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<TestIdentityProviderDbContext>().Database.EnsureCreatedAsync(cancellationToken);
            }

            await app.StartAsync(cancellationToken);
            provider.OnListening();

            foreach (TestClientRegistration client in options.Clients)
            {
                await provider.RegisterClientAsync(client, cancellationToken);
            }

            return provider;
        }
        catch
        {
            if (app is not null)
            {
                await app.DisposeAsync();
            }

            await database.DisposeAsync();
            certificate?.Dispose();
            signingKey.Dispose();
            throw;
        }
    }

    private static WebApplication Build(
        TestIdentityProviderOptions options, ProviderState state, string connectionString, X509Certificate2? certificate, RSA signingRsa)
    {
        var signingKey = new RsaSecurityKey(signingRsa) { KeyId = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(12)) };

        // The empty builder reads no appsettings.json, environment variables or ASPNETCORE_URLS of the test process.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(TestIdentityProvider).Assembly.GetName().Name,
            EnvironmentName = Environments.Production,
        });

        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            }));

        options.ConfigureLogging?.Invoke(builder.Logging);

        IServiceCollection services = builder.Services;
        services.AddSingleton(state);
        services.AddRouting();
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAuthentication().AddCookie(ProviderEndpoints.SessionScheme, cookie =>
        {
            cookie.Cookie.Name = state.SessionCookieName;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });

        services.AddDbContext<TestIdentityProviderDbContext>(db =>
        {
            db.UseSqlite(connectionString);
            db.UseOpenIddict();
        });

        ProviderLayout layout = state.Layout;
        services.AddOpenIddict()
            .AddCore(core => core.UseEntityFrameworkCore().UseDbContext<TestIdentityProviderDbContext>())
            .AddServer(server =>
            {
                server.SetAuthorizationEndpointUris(layout.Authorization)
                    .SetTokenEndpointUris(layout.Token)
                    .SetEndSessionEndpointUris(layout.EndSession)
                    .SetUserInfoEndpointUris(layout.UserInfo)
                    .SetConfigurationEndpointUris(layout.Configuration)
                    .SetJsonWebKeySetEndpointUris(layout.JsonWebKeySet);

                server.AllowAuthorizationCodeFlow()
                    .AllowRefreshTokenFlow()
                    .RequireProofKeyForCodeExchange();

                // Any scope a portal asks for (Entra apps ask for api://... scopes too); clients still need
                // permission for each endpoint, grant type and response type.
                server.RegisterScopes(Scopes.OpenId, Scopes.Profile, Scopes.Email, Scopes.Roles, Scopes.OfflineAccess)
                    .DisableScopeValidation()
                    .IgnoreScopePermissions();

                // OpenIddict's own ephemeral RSA keys are 4096-bit: two of them cost seconds per provider on two
                // cores. A 2048-bit RS256 key (what Entra signs with) and a symmetric key for the codes and refresh
                // tokens, which only this provider ever reads, are as ephemeral and start in a fraction of that.
                server.AddSigningKey(signingKey)
                    .AddEphemeralEncryptionKey(SecurityAlgorithms.Aes256KW)
                    .DisableAccessTokenEncryption();

                server.AddEventHandler<OpenIddictServerEvents.HandleTokenRequestContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        state.Record(TestIdentityProviderEventKinds.Token, context.ClientId, context.Principal?.GetClaim(Claims.Subject));
                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(OpenIddictServerHandlers.Exchange.AttachPrincipal.Descriptor.Order + 1));

                // OpenIddict, like many real providers, ignores an id_token_hint that does not validate. A test
                // provider had better be strict: a relying party that sends a wrong or tampered hint fails loudly.
                server.AddEventHandler<OpenIddictServerEvents.ProcessAuthenticationContext>(handler => handler
                    .UseInlineHandler(context =>
                    {
                        if (context.EndpointType == OpenIddictServerEndpointType.EndSession)
                        {
                            context.RejectIdentityToken = true;
                        }

                        return ValueTask.CompletedTask;
                    })
                    .SetOrder(OpenIddictServerHandlers.EvaluateValidatedTokens.Descriptor.Order + 500));

                OpenIddictServerAspNetCoreBuilder aspNetCore = server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough();
                if (certificate is null)
                {
                    aspNetCore.DisableTransportSecurityRequirement();
                }
            });

        // The issuer needs the port, known only once Kestrel has bound. OpenIddict builds its options on the first
        // request, which is after StartAsync; reading the issuer earlier throws instead of using port 0.
        services.AddOptions<OpenIddictServerOptions>().Configure(server => server.Issuer = state.Issuer);

        WebApplication app = builder.Build();
        app.UseRouting();
        app.UseAuthentication();
        app.MapProviderEndpoints(layout);
        return app;
    }

    private void OnListening()
    {
        IServerAddressesFeature addresses = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel reported no address.");
        int port = new Uri(addresses.Addresses.Single()).Port;

        // Entra's shape uses the host name, as login.microsoftonline.com does; the certificate covers both names.
        BaseAddress = Shape == TestIdentityProviderShape.Entra
            ? new Uri($"https://localhost:{port}/")
            : new Uri($"http://127.0.0.1:{port}/");
        _state.Issuer = Shape == TestIdentityProviderShape.Entra
            ? new Uri(BaseAddress, $"{TenantId}/v2.0")
            : BaseAddress;
        TlsCertificate = _tlsCertificate is null ? null : X509CertificateLoader.LoadCertificate(_tlsCertificate.RawData);
    }

    /// <summary>
    /// Registers a client, or replaces the one with the same client id. Call it after the portal has started, when
    /// its base address (and so its redirect URIs) is known.
    /// </summary>
    public async Task RegisterClientAsync(TestClientRegistration registration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registration);
        ObjectDisposedException.ThrowIf(_disposed, this);

        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = registration.ClientId,
            ClientSecret = registration.ClientSecret,
            ClientType = registration.ClientSecret is null ? ClientTypes.Public : ClientTypes.Confidential,
            DisplayName = registration.ClientId,
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.ResponseTypes.Code,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        if (registration.AllowRefreshTokens)
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.RefreshToken);
        }

        descriptor.RedirectUris.UnionWith(registration.RedirectUris);
        descriptor.PostLogoutRedirectUris.UnionWith(registration.PostLogoutRedirectUris);

        await using AsyncServiceScope scope = _app.Services.CreateAsyncScope();
        IOpenIddictApplicationManager applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        if (await applications.FindByClientIdAsync(registration.ClientId, cancellationToken) is { } existing)
        {
            await applications.DeleteAsync(existing, cancellationToken);
        }

        await applications.CreateAsync(descriptor, cancellationToken);
    }

    /// <summary>Registers a client with ASP.NET Core's default callback paths on <paramref name="appBaseAddress"/>.</summary>
    public Task RegisterClientAsync(string clientId, string? clientSecret, Uri appBaseAddress, CancellationToken cancellationToken = default) =>
        RegisterClientAsync(TestClientRegistration.ForApp(clientId, clientSecret, appBaseAddress), cancellationToken);

    /// <summary>Adds a user to the login page, or replaces the one with the same subject; takes effect at once.</summary>
    public void AddUser(TestUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        _state.AddOrReplaceUser(user);
    }

    /// <summary>Removes a user: the login page stops offering them and userinfo stops answering for them.</summary>
    public bool RemoveUser(string subject) => _state.RemoveUser(subject);

    /// <summary>
    /// Settings for Microsoft.Identity.Web's <c>AzureAd</c> section (<c>builder.Configuration.AddInMemoryCollection(...)</c>
    /// or <c>UseSetting</c> for each pair). Entra shape only.
    /// </summary>
    public IReadOnlyDictionary<string, string?> AzureAdSettings(
        string clientId, string clientSecret, string callbackPath = "/signin-oidc", string sectionName = "AzureAd")
    {
        if (Shape != TestIdentityProviderShape.Entra)
        {
            throw new InvalidOperationException("Microsoft.Identity.Web needs the Entra-shaped provider (HTTPS, tid, v2.0 paths).");
        }

        return new Dictionary<string, string?>
        {
            [$"{sectionName}:Instance"] = Instance,
            [$"{sectionName}:TenantId"] = TenantId,
            [$"{sectionName}:ClientId"] = clientId,
            [$"{sectionName}:ClientSecret"] = clientSecret,
            [$"{sectionName}:CallbackPath"] = callbackPath,
        };
    }

    /// <summary>
    /// A handler for the portal's OpenID Connect backchannel (discovery, JWKS, token, userinfo). For the Entra shape
    /// it trusts exactly this provider's certificate and nothing else. It only connects to 127.0.0.1: "localhost" is
    /// pinned there, other hosts are refused. Each call returns a new handler owned by the caller.
    /// </summary>
    public HttpMessageHandler CreateTrustingHandler()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = ConnectToLoopbackAsync,
        };

        if (TlsCertificate is { } certificate)
        {
            byte[] pinned = certificate.GetCertHash(HashAlgorithmName.SHA256);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null
                    && CryptographicOperations.FixedTimeEquals(presented.GetCertHash(HashAlgorithmName.SHA256), pinned),
            };
        }

        return handler;
    }

    /// <summary>An HttpClient on <see cref="BaseAddress"/> over <see cref="CreateTrustingHandler"/>, not following redirects.</summary>
    public HttpClient CreateClient()
    {
        HttpMessageHandler handler = CreateTrustingHandler();
        ((SocketsHttpHandler)handler).AllowAutoRedirect = false;
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = BaseAddress };
    }

    private static async ValueTask<Stream> ConnectToLoopbackAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        string host = context.DnsEndPoint.Host;
        if (host is not ("localhost" or "127.0.0.1"))
        {
            throw new HttpRequestException($"The test identity provider's handler only talks to 127.0.0.1, not to {host}.");
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _database.DisposeAsync();
        _tlsCertificate?.Dispose();
        TlsCertificate?.Dispose();
        _signingKey.Dispose();
    }
}
