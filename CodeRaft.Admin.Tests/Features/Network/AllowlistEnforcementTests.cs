using System.Net;
using CodeRaft.Admin.Features.Audit;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Throttling;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Features.Network;

/// <summary>
/// The allowlists enforced on real connections: clients bound to 127.0.0.1 and 127.0.0.2 are different sources;
/// X-Forwarded-For counts only from a trusted proxy; IPv4-mapped peers of a dual-stack socket match as IPv4.
/// </summary>
public sealed class AllowlistEnforcementTests : IDisposable
{
    private readonly List<KestrelAdminApp> _apps = [];

    public void Dispose()
    {
        foreach (var app in _apps)
        {
            app.Dispose();
        }
    }

    private async Task<KestrelAdminApp> StartAsync(IPAddress listen, string[] ui, string[] api, params string[] trustedProxies)
    {
        var app = new KestrelAdminApp(listen, trustedProxies);
        _apps.Add(app);
        app.Start();
        var core = app.Services.GetRequiredService<NetworkAllowlistCore>();
        foreach (var (scope, cidrs) in new[] { (AllowlistScope.Ui, ui), (AllowlistScope.Api, api) })
        {
            if (cidrs.Length > 0)
            {
                var result = await core.ReplaceAsync(UserOperator.HostCli, scope, [.. cidrs.Select(c => new AllowlistEntryInput { Cidr = c })]);
                Assert.True(result.Succeeded, result.Message);
            }
        }

        return app;
    }

    private static async Task<List<AuditEntry>> BlockedAuditAsync(KestrelAdminApp app)
    {
        await app.Services.GetRequiredService<DenialAggregator>().FlushAsync(includeOpenWindow: true);
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
        return await db.AuditEntries.AsNoTracking().Where(e => e.Action == "network.blocked").OrderBy(e => e.Sequence).ToListAsync();
    }

    /// <summary>Through the allowlist: whatever the portal answers next (a first-run portal redirects to setup), not its 403.</summary>
    private static void AssertAllowed(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.NotEqual(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.True((int)response.StatusCode < 500, response.StatusCode.ToString());
        }
    }

    [Fact]
    public async Task Console_SourceOutsideUiList_Plain403PageEverywhereButHealth()
    {
        var app = await StartAsync(IPAddress.Loopback, ["127.0.0.1/32"], []);
        using var allowed = app.ClientFrom("127.0.0.1");
        using var blocked = app.ClientFrom("127.0.0.2");

        AssertAllowed(await allowed.GetAsync("/account/signin"));
        foreach (var path in new[] { "/account/signin", "/", "/_framework/blazor.web.js", "/users", "/no-such-page" })
        {
            using var response = await blocked.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains("Access from this address is not allowed", body, StringComparison.Ordinal);
            Assert.Contains("127.0.0.2", body, StringComparison.Ordinal);
        }

        using var post = await blocked.PostAsync("/account/signin", new FormUrlEncodedContent([new("email", "a@example.test")]));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await blocked.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await blocked.GetAsync("/readyz")).StatusCode);
        // The api list is empty: the API is not affected by the ui list.
        Assert.Equal(HttpStatusCode.Unauthorized, (await blocked.GetAsync("/api/v1/whoami")).StatusCode);
    }

    [Fact]
    public async Task Api_SourceOutsideApiList_403ProblemDetails()
    {
        var app = await StartAsync(IPAddress.Loopback, [], ["127.0.0.1/32"]);
        using var allowed = app.ClientFrom("127.0.0.1");
        using var blocked = app.ClientFrom("127.0.0.2");

        using var refused = await blocked.GetAsync("/api/v1/whoami");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("not allowed by the API's IP allowlist", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await blocked.GetAsync("/openapi/v1.json")).StatusCode); // the API's description too
        Assert.Equal(HttpStatusCode.OK, (await allowed.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await allowed.GetAsync("/api/v1/whoami")).StatusCode); // through to authentication
        AssertAllowed(await blocked.GetAsync("/account/signin")); // the ui list is empty
    }

    [Fact]
    public async Task Blocked_ManyRequests_OneAuditEntryPerSourceScopeAndMinuteWithCount()
    {
        var app = await StartAsync(IPAddress.Loopback, ["127.0.0.1/32"], ["127.0.0.1/32"]);
        using var blocked = app.ClientFrom("127.0.0.2");
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await blocked.GetAsync($"/scan/{i}")).StatusCode);
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await blocked.GetAsync("/api/v1/users")).StatusCode);
        }

        var entries = await BlockedAuditAsync(app);
        Assert.Equal(2, entries.Count);
        var ui = Assert.Single(entries, e => e.TargetId == "ui");
        var api = Assert.Single(entries, e => e.TargetId == "api");
        Assert.All(entries, e => Assert.Equal(("network", "denied", "anonymous", "127.0.0.2", "allowlist"), (e.Category, e.Outcome, e.ActorType, e.SourceIp, e.TargetType)));
        Assert.Contains("\"count\":7", ui.Details, StringComparison.Ordinal);
        Assert.Contains("\"count\":3", api.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ForwardedFor_FromUntrustedSource_Ignored_FromTrustedProxy_Honoured()
    {
        var app = await StartAsync(IPAddress.Loopback, ["198.51.100.0/24"], [], "127.0.0.1");
        using var untrusted = app.ClientFrom("127.0.0.2");
        using var proxy = app.ClientFrom("127.0.0.1");

        // 127.0.0.2 is not a trusted proxy: its X-Forwarded-For is ignored and it is judged as itself.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/account/signin") { Headers = { { "X-Forwarded-For", "198.51.100.7" } } };
        var spoofedResponse = await untrusted.SendAsync(spoofed);
        Assert.Equal(HttpStatusCode.Forbidden, spoofedResponse.StatusCode);
        Assert.Contains("127.0.0.2", await spoofedResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // The trusted proxy's header names the client.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/account/signin") { Headers = { { "X-Forwarded-For", "198.51.100.7" } } };
        AssertAllowed(await proxy.SendAsync(forwarded));
        using var outside = new HttpRequestMessage(HttpMethod.Get, "/account/signin") { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
        var outsideResponse = await proxy.SendAsync(outside);
        Assert.Equal(HttpStatusCode.Forbidden, outsideResponse.StatusCode);
        Assert.Contains("203.0.113.9", await outsideResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // And the proxy itself, without the header, is not on the list.
        Assert.Equal(HttpStatusCode.Forbidden, (await proxy.GetAsync("/account/signin")).StatusCode);
    }

    [Fact]
    public async Task DualStackSocket_Ipv4MappedPeers_MatchedAsIpv4()
    {
        // Kestrel on [::] reports 127.0.0.x clients as ::ffff:127.0.0.x.
        var app = await StartAsync(IPAddress.IPv6Any, ["127.0.0.1/32"], [], "127.0.0.1");
        using var allowed = app.ClientFrom("127.0.0.1");
        using var blocked = app.ClientFrom("127.0.0.2");

        AssertAllowed(await allowed.GetAsync("/account/signin"));
        var refused = await blocked.GetAsync("/account/signin");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("<strong>127.0.0.2</strong>", body, StringComparison.Ordinal);
        Assert.DoesNotContain("::ffff:", body, StringComparison.Ordinal);

        // The mapped peer ::ffff:127.0.0.1 is the trusted proxy 127.0.0.1: its X-Forwarded-For is honoured.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, "/account/signin") { Headers = { { "X-Forwarded-For", "203.0.113.9" } } };
        Assert.Equal(HttpStatusCode.Forbidden, (await allowed.SendAsync(forwarded)).StatusCode);
        Assert.Single(await BlockedAuditAsync(app), e => e.SourceIp == "127.0.0.2");
    }

    [Fact]
    public async Task EmptyLists_AllowEveryAddress()
    {
        var app = await StartAsync(IPAddress.Loopback, [], []);
        using var client = app.ClientFrom("127.0.0.2");

        AssertAllowed(await client.GetAsync("/account/signin"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/whoami")).StatusCode);
    }
}
