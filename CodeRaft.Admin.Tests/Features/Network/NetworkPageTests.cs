using Bunit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Network;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Network;

/// <summary>Settings → Network in one circuit over a real store: banner, step-up, field messages, lock-out preview, confirmation.</summary>
public sealed class NetworkPageTests : AdminBunitContext, IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-network-ui");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        var userId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow()); // an Owner in the store
        AddFallbackServices(services => StepUpUser.AddCircuitServices(services, _store, userId, _time)
            .AddSingleton(_store.Get<NetworkAllowlist>())
            .AddSingleton(sp => new NetworkSettingsService(_store.Contexts, _store.Get<NetworkAllowlistCore>(), _store.Get<AuditWriter>(),
                sp.GetRequiredService<AuthenticationStateProvider>(), sp.GetRequiredService<Admin.Security.StepUp.StepUpService>())));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private IRenderedComponent<NetworkPage> RenderPage()
    {
        Authorization.SetAuthorized("alice@example.test");
        Authorization.SetRoles("Owner");
        return Render<NetworkPage>(p => p.AddCascadingValue(new ClientConnection("192.0.2.10", "10.0.0.5")));
    }

    private void StepUp(IRenderedComponent<NetworkPage> cut, string scope)
    {
        cut.Find($"#allowlist-{scope} [data-edit]").Click();
        cut.Find($"#allowlist-{scope} input[data-stepup-code]").Change(StepUpUser.CodeAt(_time.GetUtcNow()));
        cut.Find($"#allowlist-{scope} form[data-stepup-form]").Submit();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll($"#allowlist-{scope} [data-editor]")));
    }

    [Fact]
    public void NetworkPage_EmptyLists_ShowAddressProxyAndBannersButNoEditorBeforeStepUp()
    {
        var cut = RenderPage();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-empty-banner]").Count));
        Assert.Equal("192.0.2.10", cut.Find("[data-your-address]").TextContent);
        Assert.Equal("10.0.0.5", cut.Find("[data-your-proxy]").TextContent);
        Assert.Empty(cut.FindAll("[data-editor]"));
        cut.Find("#allowlist-ui [data-edit]").Click();
        Assert.NotEmpty(cut.FindAll("#allowlist-ui [data-stepup-challenge]"));
        Assert.Empty(cut.FindAll("[data-editor]"));
    }

    [Fact]
    public void NetworkPage_ListExcludingYou_NeedsTheTypedAddressBeforeSave()
    {
        var cut = RenderPage();
        StepUp(cut, "ui");

        cut.Find("#allowlist-ui [data-add-row]").Click();
        cut.Find("#allowlist-ui input[data-cidr='0']").Input("10.1.2.3/8");
        cut.WaitForAssertion(() => Assert.Contains("did you mean 10.0.0.0/8?", cut.Find("#allowlist-ui").TextContent, StringComparison.Ordinal));
        Assert.True(cut.Find("#allowlist-ui [data-save]").HasAttribute("disabled"));

        cut.Find("#allowlist-ui input[data-cidr='0']").Input("198.51.100.0/24");
        cut.WaitForAssertion(() => Assert.Equal("lockout", cut.Find("#allowlist-ui [data-preview]").GetAttribute("data-preview")));
        Assert.True(cut.Find("#allowlist-ui [data-save]").HasAttribute("disabled"));
        cut.Find("#allowlist-ui input[data-confirmation]").Input("192.0.2.11");
        Assert.True(cut.Find("#allowlist-ui [data-save]").HasAttribute("disabled"));
        cut.Find("#allowlist-ui input[data-confirmation]").Input("192.0.2.10");
        cut.WaitForAssertion(() => Assert.False(cut.Find("#allowlist-ui [data-save]").HasAttribute("disabled")));

        cut.Find("#allowlist-ui [data-save]").Click();
        cut.WaitForAssertion(() => Assert.Contains("Saved the ui allowlist (1 entries).", cut.Find("#allowlist-ui [data-save-message]").TextContent, StringComparison.Ordinal));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("#allowlist-ui [data-saved-entry='198.51.100.0/24']")));
        Assert.False(_store.Get<NetworkAllowlist>().IsAllowed(AllowlistScope.Ui, System.Net.IPAddress.Parse("192.0.2.10")));
    }

    [Fact]
    public void NetworkPage_ListIncludingYouAndDuplicate_PreviewSaysAllowedAndDuplicateBlocksSave()
    {
        var cut = RenderPage();
        StepUp(cut, "api");

        cut.Find("#allowlist-api [data-add-row]").Click();
        cut.Find("#allowlist-api input[data-cidr='0']").Input("192.0.2.0/24");
        cut.WaitForAssertion(() => Assert.Equal("allowed", cut.Find("#allowlist-api [data-preview]").GetAttribute("data-preview")));
        Assert.Contains("stays allowed (by 192.0.2.0/24)", cut.Find("#allowlist-api [data-preview]").TextContent, StringComparison.Ordinal);
        cut.Find("#allowlist-api [data-add-row]").Click();
        cut.Find("#allowlist-api input[data-cidr='1']").Input("192.0.2.0/24");
        cut.WaitForAssertion(() => Assert.Contains("192.0.2.0/24 is listed twice", cut.Find("#allowlist-api [data-list-error]").TextContent, StringComparison.Ordinal));
        Assert.True(cut.Find("#allowlist-api [data-save]").HasAttribute("disabled"));
    }
}
