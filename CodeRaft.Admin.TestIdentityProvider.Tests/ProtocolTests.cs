using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace CodeRaft.Admin.TestIdentityProvider.Tests;

/// <summary>The provider spoken to directly over HTTP, as a relying party's backchannel would, without a browser.</summary>
public sealed class ProtocolTests
{
    private static readonly Uri AppBase = new("http://127.0.0.1:1/");
    private static readonly Uri RedirectUri = new(AppBase, "signin-oidc");
    private static readonly Uri PostLogoutRedirectUri = new(AppBase, "signout-callback-oidc");

    [Fact]
    public async Task Discovery_GenericShape_AnnouncesLoopbackIssuerAndCodeFlowWithPkce()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        using HttpClient http = provider.CreateClient();

        JsonElement discovery = await GetJsonAsync(http, "/.well-known/openid-configuration");

        string root = provider.BaseAddress.ToString();
        Assert.StartsWith("http://127.0.0.1:", root, StringComparison.Ordinal);
        Assert.Equal(root, provider.Issuer);
        Assert.Equal(new Uri(root + ".well-known/openid-configuration"), provider.MetadataAddress);
        Assert.Equal(root, discovery.GetProperty("issuer").GetString());
        Assert.Equal(root + "connect/authorize", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(root + "connect/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal(root + "connect/endsession", discovery.GetProperty("end_session_endpoint").GetString());
        Assert.Equal(root + "connect/userinfo", discovery.GetProperty("userinfo_endpoint").GetString());
        Assert.Equal(root + ".well-known/jwks", discovery.GetProperty("jwks_uri").GetString());
        Assert.Contains("S256", Strings(discovery, "code_challenge_methods_supported"));
        Assert.Contains("code", Strings(discovery, "response_types_supported"));
        Assert.False(discovery.TryGetProperty("pushed_authorization_request_endpoint", out _),
            "No PAR: ASP.NET Core's handler would switch to it on its own.");

        JsonElement keys = await GetJsonAsync(http, "/.well-known/jwks");
        Assert.NotEmpty(keys.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task Discovery_EntraShape_AnswersOnTheMicrosoftIdentityWebAuthorityWithV2Paths()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartEntraAsync(TestUsers.Alice);
        using HttpClient http = provider.CreateClient();
        string tenant = provider.TenantId;
        string root = $"https://localhost:{provider.BaseAddress.Port}/";

        // Microsoft.Identity.Web: Authority = {Instance}{TenantId}/v2.0, metadata = Authority + /.well-known/openid-configuration.
        Assert.Equal(root, provider.Instance);
        Assert.Equal($"{root}{tenant}/v2.0", provider.Authority);
        Assert.Equal(new Uri($"{root}{tenant}/v2.0/.well-known/openid-configuration"), provider.MetadataAddress);

        JsonElement discovery = await GetJsonAsync(http, provider.MetadataAddress.ToString());

        Assert.Equal($"{root}{tenant}/v2.0", discovery.GetProperty("issuer").GetString());
        Assert.Equal($"{root}{tenant}/oauth2/v2.0/authorize", discovery.GetProperty("authorization_endpoint").GetString());
        Assert.Equal($"{root}{tenant}/oauth2/v2.0/token", discovery.GetProperty("token_endpoint").GetString());
        Assert.Equal($"{root}{tenant}/oauth2/v2.0/logout", discovery.GetProperty("end_session_endpoint").GetString());
        Assert.Equal($"{root}{tenant}/discovery/v2.0/keys", discovery.GetProperty("jwks_uri").GetString());

        JsonElement keys = await GetJsonAsync(http, $"/{tenant}/discovery/v2.0/keys");
        Assert.NotEmpty(keys.GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task TlsCertificate_EntraShape_IsTrustedOnlyThroughThePinnedHandler()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartEntraAsync(TestUsers.Alice);

        using var untrusting = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        HttpRequestException refused = await Assert.ThrowsAsync<HttpRequestException>(
            () => untrusting.GetAsync(new Uri($"https://127.0.0.1:{provider.BaseAddress.Port}/{provider.TenantId}/discovery/v2.0/keys")));
        Assert.IsType<AuthenticationException>(refused.InnerException);

        using HttpClient pinned = provider.CreateClient();
        using HttpResponseMessage response = await pinned.GetAsync(new Uri(provider.BaseAddress, $"{provider.TenantId}/discovery/v2.0/keys"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(provider.TlsCertificate);
        Assert.False(provider.TlsCertificate.HasPrivateKey);
    }

    [Fact]
    public async Task TrustingHandler_NonLoopbackHost_IsRefusedWithoutConnecting()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        using var http = new HttpClient(provider.CreateTrustingHandler());

        HttpRequestException refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("http://example.invalid/")));
        Assert.Contains("only talks to 127.0.0.1", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestIdentityProviderShape.Generic)]
    [InlineData(TestIdentityProviderShape.Entra)]
    public async Task CodeFlow_LoginHintAndPkce_IssuesTokensUserInfoAndRefreshAndRefusesCodeReplay(TestIdentityProviderShape shape)
    {
        await using TestIdentityProvider provider = await StartAsync(shape);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();
        var pkce = Pkce.Create();

        using HttpResponseMessage authorization = await http.GetAsync(AuthorizeUri(provider, pkce.Challenge, "login_hint=alice@coderaft.test"));

        Dictionary<string, string> callback = CallbackParameters(authorization);
        Assert.Equal("xyz", callback["state"]);
        Assert.Equal(provider.Issuer, callback["iss"]);
        string code = callback["code"];

        JsonElement tokens = await RedeemAsync(http, provider, code, pkce.Verifier);
        var idToken = new JsonWebToken(tokens.GetProperty("id_token").GetString());
        Assert.Equal(provider.Issuer, idToken.Issuer);
        Assert.Equal([RelyingParty.ClientId], idToken.Audiences);
        Assert.Equal("alice", idToken.Subject);
        Assert.Equal("Alice Admin", idToken.GetPayloadValue<string>("name"));
        Assert.Equal("alice@coderaft.test", idToken.GetPayloadValue<string>("email"));
        Assert.Equal("alice@coderaft.test", idToken.GetPayloadValue<string>("preferred_username"));
        Assert.Equal(["admin", "auditor"], idToken.GetPayloadValue<string[]>("roles"));
        Assert.Equal("n-0S6_WzA2Mj", idToken.GetPayloadValue<string>("nonce"));
        if (shape == TestIdentityProviderShape.Entra)
        {
            Assert.Equal(provider.TenantId, idToken.GetPayloadValue<string>("tid"));
            Assert.Equal(TestUsers.Alice.ObjectId, idToken.GetPayloadValue<string>("oid"));
            Assert.Equal("2.0", idToken.GetPayloadValue<string>("ver"));
        }

        // The access token is a plain signed JWT (no encryption), readable by an API under test.
        var accessToken = new JsonWebToken(tokens.GetProperty("access_token").GetString());
        Assert.Equal("alice", accessToken.Subject);
        Assert.Equal("at+jwt", accessToken.Typ);

        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, Endpoint(provider, "userinfo_endpoint"));
        userInfoRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken.EncodedToken);
        using HttpResponseMessage userInfoResponse = await http.SendAsync(userInfoRequest);
        JsonElement userInfo = await ReadJsonAsync(userInfoResponse);
        Assert.Equal("alice", userInfo.GetProperty("sub").GetString());
        Assert.Equal("Alice Admin", userInfo.GetProperty("name").GetString());
        Assert.Equal(["admin", "auditor"], Strings(userInfo, "roles"));

        using HttpResponseMessage refreshed = await PostTokenAsync(http, provider, new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.GetProperty("refresh_token").GetString()!,
        });
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        JsonElement refreshedTokens = await ReadJsonAsync(refreshed);
        var refreshedIdToken = new JsonWebToken(refreshedTokens.GetProperty("id_token").GetString());
        Assert.Equal(["admin", "auditor"], refreshedIdToken.GetPayloadValue<string[]>("roles"));

        // A code is good once, and replaying it revokes what it produced, the refresh token included.
        using HttpResponseMessage replay = await PostTokenAsync(http, provider, new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = pkce.Verifier,
            ["redirect_uri"] = RedirectUri.ToString(),
        });
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.Equal("invalid_grant", (await ReadJsonAsync(replay)).GetProperty("error").GetString());

        using HttpResponseMessage revoked = await PostTokenAsync(http, provider, new()
        {
            ["grant_type"] = "refresh_token", ["refresh_token"] = refreshedTokens.GetProperty("refresh_token").GetString()!,
        });
        Assert.Equal("invalid_grant", (await ReadJsonAsync(revoked)).GetProperty("error").GetString());

        Assert.Equal(
            [
                TestIdentityProviderEventKinds.Authorize, TestIdentityProviderEventKinds.SignIn,
                TestIdentityProviderEventKinds.Token, TestIdentityProviderEventKinds.UserInfo, TestIdentityProviderEventKinds.Token,
            ],
            provider.Events.Select(e => e.Kind));
    }

    [Fact]
    public async Task Authorize_WithoutCodeChallenge_IsRefusedAndIssuesNoCode()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();

        using HttpResponseMessage response = await http.GetAsync(
            $"/connect/authorize?client_id={RelyingParty.ClientId}&response_type=code&scope=openid&state=xyz"
            + $"&redirect_uri={Uri.EscapeDataString(RedirectUri.ToString())}&login_hint=alice");

        // OpenIddict answers this one itself (400, no redirect to the client).
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("error:invalid_request", body, StringComparison.Ordinal);
        Assert.Contains("code_challenge", body, StringComparison.Ordinal);
        Assert.DoesNotContain(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.SignIn);
    }

    [Fact]
    public async Task Authorize_UnregisteredRedirectUri_IsRefusedWithoutRedirecting()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();
        var pkce = Pkce.Create();

        using HttpResponseMessage response = await http.GetAsync(AuthorizeUri(provider, pkce.Challenge, "login_hint=alice")
            .Replace(Uri.EscapeDataString(RedirectUri.ToString()), Uri.EscapeDataString("http://127.0.0.1:2/signin-oidc"), StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task RegisterClient_AgainWithAnotherBaseAddress_ReplacesTheRedirectUris()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, new Uri("http://127.0.0.1:2/"));
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();
        var pkce = Pkce.Create();

        using HttpResponseMessage response = await http.GetAsync(AuthorizeUri(provider, pkce.Challenge, "login_hint=alice"));

        Assert.True(CallbackParameters(response).ContainsKey("code"));
    }

    [Fact]
    public async Task Authorize_PromptNoneWithoutProviderSession_RedirectsLoginRequired()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();

        using HttpResponseMessage response = await http.GetAsync(AuthorizeUri(provider, Pkce.Create().Challenge, "prompt=none"));

        Assert.Equal("login_required", CallbackParameters(response)["error"]);
    }

    [Fact]
    public async Task Authorize_WithoutHintOrSession_ShowsOneButtonPerUserIncludingOnesAddedLater()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        provider.AddUser(TestUsers.Bob);
        using HttpClient http = provider.CreateClient();

        using HttpResponseMessage response = await http.GetAsync(AuthorizeUri(provider, Pkce.Create().Challenge, extra: null));
        string html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"data-testid=\"{TestIdentityProvider.UserButtonTestId("alice")}\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-testid=\"{TestIdentityProvider.UserButtonTestId("bob")}\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"code_challenge\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestIdentityProviderShape.Generic)]
    [InlineData(TestIdentityProviderShape.Entra)]
    public async Task EndSession_WithIdTokenHint_RecordsTheHintAndEndsTheProviderSession(TestIdentityProviderShape shape)
    {
        await using TestIdentityProvider provider = await StartAsync(shape);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient(); // keeps the provider's session cookie, as a browser would
        string idToken = await SignInAsync(http, provider, "alice");

        using HttpResponseMessage endSession = await http.GetAsync(EndSessionUri(provider, idToken));

        Assert.Equal(HttpStatusCode.Redirect, endSession.StatusCode);
        Uri back = endSession.Headers.Location!;
        Assert.StartsWith(PostLogoutRedirectUri.ToString(), back.ToString(), StringComparison.Ordinal);
        Assert.Equal("after-logout", QueryHelpers.ParseQuery(back.Query)["state"].ToString());
        TestIdentityProviderEvent ended = Assert.Single(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.EndSession);
        Assert.Equal("alice", ended.Subject);
        Assert.Equal("alice", ended.IdTokenHintSubject);
        Assert.Equal(RelyingParty.ClientId, ended.IdTokenHintAudience);

        // The provider session is gone: without a hint the next authorization request shows the login page.
        using HttpResponseMessage again = await http.GetAsync(AuthorizeUri(provider, Pkce.Create().Challenge, extra: null));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(TestIdentityProviderEventKinds.LoginPage, provider.Events[^1].Kind);
    }

    [Fact]
    public async Task EndSession_WithoutIdTokenHint_EndsTheSessionAndRecordsNoHint()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();
        await SignInAsync(http, provider, "alice");

        using HttpResponseMessage endSession = await http.GetAsync(EndSessionUri(provider, idTokenHint: null));

        Assert.Equal(HttpStatusCode.Redirect, endSession.StatusCode);
        Assert.Contains(new TestIdentityProviderEvent(TestIdentityProviderEventKinds.EndSession, null, "alice"), provider.Events);
    }

    [Fact]
    public async Task EndSession_ForgedIdTokenHint_IsRefusedAndKeepsTheProviderSession()
    {
        await using TestIdentityProvider provider = await TestIdentityProvider.StartGenericAsync(TestUsers.Alice, TestUsers.Bob);
        await provider.RegisterClientAsync(RelyingParty.ClientId, RelyingParty.ClientSecret, AppBase);
        using HttpClient http = provider.CreateClient();
        string idToken = await SignInAsync(http, provider, "alice");

        // Bob's name in Alice's token: the signature no longer matches.
        string[] parts = idToken.Split('.');
        string payload = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(parts[1])).Replace("\"alice\"", "\"bob\"", StringComparison.Ordinal);
        string forged = $"{parts[0]}.{WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        using HttpResponseMessage endSession = await http.GetAsync(EndSessionUri(provider, forged));

        Assert.Equal(HttpStatusCode.BadRequest, endSession.StatusCode);
        Assert.Contains("error:invalid_token", await endSession.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(endSession.Headers.Location);
        Assert.DoesNotContain(provider.Events, e => e.Kind == TestIdentityProviderEventKinds.EndSession);

        // Alice is still signed in at the provider: a new authorization request gets a code without the page.
        using HttpResponseMessage again = await http.GetAsync(AuthorizeUri(provider, Pkce.Create().Challenge, extra: null));
        Assert.True(CallbackParameters(again).ContainsKey("code"));
    }

    private static Task<TestIdentityProvider> StartAsync(TestIdentityProviderShape shape)
    {
        var options = new TestIdentityProviderOptions { Shape = shape };
        options.Users.Add(TestUsers.Alice);
        options.Users.Add(TestUsers.Bob);
        return TestIdentityProvider.StartAsync(options);
    }

    private static string AuthorizeUri(TestIdentityProvider provider, string codeChallenge, string? extra) =>
        Endpoint(provider, "authorization_endpoint")
        + $"?client_id={RelyingParty.ClientId}&response_type=code&scope={Uri.EscapeDataString("openid profile email offline_access")}"
        + $"&redirect_uri={Uri.EscapeDataString(RedirectUri.ToString())}&state=xyz&nonce=n-0S6_WzA2Mj"
        + $"&code_challenge={codeChallenge}&code_challenge_method=S256"
        + (extra is null ? string.Empty : "&" + extra);

    /// <summary>Signs <paramref name="subject"/> in through login_hint (which opens a provider session) and returns the ID token.</summary>
    private static async Task<string> SignInAsync(HttpClient http, TestIdentityProvider provider, string subject)
    {
        var pkce = Pkce.Create();
        using HttpResponseMessage authorization = await http.GetAsync(AuthorizeUri(provider, pkce.Challenge, $"login_hint={subject}"));
        JsonElement tokens = await RedeemAsync(http, provider, CallbackParameters(authorization)["code"], pkce.Verifier);
        return tokens.GetProperty("id_token").GetString()!;
    }

    private static string EndSessionUri(TestIdentityProvider provider, string? idTokenHint) =>
        Endpoint(provider, "end_session_endpoint")
        + $"?post_logout_redirect_uri={Uri.EscapeDataString(PostLogoutRedirectUri.ToString())}&state=after-logout"
        + (idTokenHint is null ? string.Empty : $"&id_token_hint={idTokenHint}");

    private static string Endpoint(TestIdentityProvider provider, string name) => name switch
    {
        "end_session_endpoint" => provider.Shape == TestIdentityProviderShape.Entra
            ? $"/{provider.TenantId}/oauth2/v2.0/logout" : "/connect/endsession",
        "authorization_endpoint" => provider.Shape == TestIdentityProviderShape.Entra
            ? $"/{provider.TenantId}/oauth2/v2.0/authorize" : "/connect/authorize",
        "token_endpoint" => provider.Shape == TestIdentityProviderShape.Entra
            ? $"/{provider.TenantId}/oauth2/v2.0/token" : "/connect/token",
        "userinfo_endpoint" => provider.Shape == TestIdentityProviderShape.Entra
            ? $"/{provider.TenantId}/openid/v2.0/userinfo" : "/connect/userinfo",
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static Dictionary<string, string> CallbackParameters(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Uri location = response.Headers.Location!;
        Assert.StartsWith(RedirectUri.ToString(), location.ToString(), StringComparison.Ordinal);
        return QueryHelpers.ParseQuery(location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
    }

    private static async Task<JsonElement> RedeemAsync(HttpClient http, TestIdentityProvider provider, string code, string verifier)
    {
        using HttpResponseMessage response = await PostTokenAsync(http, provider, new()
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["code_verifier"] = verifier,
            ["redirect_uri"] = RedirectUri.ToString(),
        });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await ReadJsonAsync(response);
    }

    private static async Task<HttpResponseMessage> PostTokenAsync(HttpClient http, TestIdentityProvider provider, Dictionary<string, string> form)
    {
        form["client_id"] = RelyingParty.ClientId;
        form["client_secret"] = RelyingParty.ClientSecret;
        using var content = new FormUrlEncodedContent(form);
        return await http.PostAsync(Endpoint(provider, "token_endpoint"), content);
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, string uri)
    {
        using HttpResponseMessage response = await http.GetAsync(uri);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ReadJsonAsync(response);
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private static string[] Strings(JsonElement element, string property) =>
        [.. element.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    private sealed record Pkce(string Verifier, string Challenge)
    {
        public static Pkce Create()
        {
            string verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
            return new Pkce(verifier, WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        }
    }
}
