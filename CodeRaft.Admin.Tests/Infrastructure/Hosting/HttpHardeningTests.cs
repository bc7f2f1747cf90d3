using System.Net;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Infrastructure.Hosting;

public sealed class HttpHardeningTests : IClassFixture<AdminAppFactory>
{
    private readonly AdminAppFactory _factory;

    public HttpHardeningTests(AdminAppFactory factory) => _factory = factory;

    [Theory]
    [InlineData("/")]
    [InlineData("/users")]
    [InlineData("/healthz")]
    [InlineData("/does-not-exist")]
    public async Task Get_AnyResponse_CarriesSecurityHeaders(string path)
    {
        using var client = _factory.CreateClient();
        using var response = await client.GetAsync(path);

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.False(response.Headers.Contains("Server"));
    }

    // /healthz: the process answers. /readyz: the database is reachable and the key ring is unlocked.
    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Get_HealthEndpoint_StartedPortal_IsHealthy(string path)
    {
        using var client = _factory.CreateClient();
        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/audit")]
    [InlineData("/no/such/page")]
    [InlineData("/account")]
    public async Task Get_ConsoleRouteWithoutSession_RedirectedToSignInWithoutData(string path)
    {
        using var client = _factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var response = await client.GetAsync(path);

        // Deny by default: no console page renders for a visitor without a session (CONTRACTS §9).
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("http://localhost/account/signin?ReturnUrl=", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Empty(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Get_ErrorPage_ShowsRequestIdAndNoExceptionDetail()
    {
        using var client = _factory.CreateClient();
        var html = await client.GetStringAsync("/Error");

        Assert.Contains("Something went wrong", html, StringComparison.Ordinal);
        Assert.Contains("request id", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Development", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/settings/siem")]
    public async Task Get_ConsoleRoute_RendersShellWithoutInlineScript(string path)
    {
        using var client = _factory.CreateClient();
        var html = await client.GetStringAsync(path);

        Assert.Contains("CodeRaft Admin", html, StringComparison.Ordinal);
        // CSP allows only same-origin script files: any inline <script> body would be blocked in the browser.
        foreach (var tag in System.Text.RegularExpressions.Regex.Matches(html, "<script(?<attrs>[^>]*)>(?<body>.*?)</script>", System.Text.RegularExpressions.RegexOptions.Singleline))
        {
            var match = (System.Text.RegularExpressions.Match)tag;
            Assert.Contains("src=", match.Groups["attrs"].Value, StringComparison.Ordinal);
            Assert.True(string.IsNullOrWhiteSpace(match.Groups["body"].Value), $"inline script found: {match.Value}");
        }
    }
}
