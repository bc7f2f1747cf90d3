using Bunit;
using CodeRaft.Admin.Components.Layout;
using CodeRaft.Admin.Components.Shared;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRaft.Admin.Tests.Components.Layout;

public sealed class MainLayoutTests : AdminBunitContext
{
    private IRenderedComponent<MainLayout> RenderLayout(RenderFragment body) =>
        Render<MainLayout>(p => p.Add(l => l.Body, body));

    [Fact]
    public void Render_Navigation_HasAnEntryForEveryConsoleScreen()
    {
        var layout = RenderLayout(b => b.AddContent(0, "page"));

        var hrefs = layout.FindAll("[data-nav]").Select(a => a.GetAttribute("data-nav")).ToList();
        Assert.Equal(
            ["/", "/users", "/api-keys", "/audit", "/settings/security", "/settings/network", "/settings/siem", "/settings/licenses", "/account"],
            hrefs);
        Assert.Equal("true", layout.Find("#app-ready").GetAttribute("data-interactive"));
    }

    [Fact]
    public void ThemeToggle_Click_SwitchesToDarkAndRemembersIt()
    {
        var module = JSInterop.SetupModule("./js/theme.js");
        var remember = module.SetupVoid("remember", "dark");
        var layout = RenderLayout(b => b.AddContent(0, "page"));
        Assert.Equal("light", layout.Find("#app-ready").GetAttribute("data-theme"));

        layout.Find("#theme-toggle").Click();

        Assert.Equal("dark", layout.Find("#app-ready").GetAttribute("data-theme"));
        remember.VerifyInvoke("remember");
    }

    [Theory]
    [InlineData("dark", "dark")]
    [InlineData("light", "light")]
    [InlineData("<script>", "light")]
    public void Prerender_ThemeCookie_SelectsTheme(string cookie, string expected)
    {
        var httpContext = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        httpContext.Request.Headers.Cookie = $"coderaft-theme={Uri.EscapeDataString(cookie)}";
        Services.GetRequiredService<Microsoft.AspNetCore.Http.IHttpContextAccessor>().HttpContext = httpContext;

        var layout = RenderLayout(b => b.AddContent(0, "page"));

        Assert.Equal(expected, layout.Find("#app-ready").GetAttribute("data-theme"));
    }

    [Fact]
    public void Body_Throws_FriendlyErrorInsteadOfBrokenCircuit()
    {
        var layout = RenderLayout(b =>
        {
            b.OpenComponent<Thrower>(0);
            b.CloseComponent();
        });

        var alert = layout.Find("#circuit-error");
        Assert.Contains("Something went wrong", alert.TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("boom-detail", layout.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void ComingSoon_Render_ShowsTitleAndDescription()
    {
        var page = Render<ComingSoon>(p => p.Add(c => c.Title, "Users").Add(c => c.Description, "Invite users."));

        Assert.Equal("Users", page.Find("h1").TextContent);
        Assert.Contains("Invite users.", page.Find("[data-coming-soon]").TextContent, StringComparison.Ordinal);
    }

    private sealed class Thrower : ComponentBase
    {
        protected override void OnInitialized() => throw new InvalidOperationException("boom-detail");
    }
}
