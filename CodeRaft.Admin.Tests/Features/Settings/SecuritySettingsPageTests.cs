using Bunit;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Features.Settings;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Features.Settings;

/// <summary>Settings → Security in one circuit over a real store.</summary>
public sealed class SecuritySettingsPageTests : AdminBunitContext, IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-settings-ui");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        var userId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow()); // an Owner in the store
        var policy = new StoredStepUpPolicy(_store.Contexts, _store.Get<IOptionsMonitor<StepUpOptions>>(), _time);
        AddFallbackServices(services => StepUpUser.AddCircuitServices(services, _store, userId, _time)
            .AddSingleton(policy)
            .AddSingleton<IStepUpPolicy>(policy)
            .AddSingleton(Options.Create(new Admin.Security.Authentication.SessionOptions()))
            .AddSingleton(sp => new SecuritySettingsService(_store.Contexts, _store.Get<AuditWriter>(), policy,
                sp.GetRequiredService<IOptions<Admin.Security.Authentication.SessionOptions>>(), sp.GetRequiredService<AuthenticationStateProvider>(),
                sp.GetRequiredService<StepUpService>(), _time)));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public void SecuritySettingsPage_Owner_SeesTheChallengeFirstAndSavesAfterAValidCode()
    {
        Authorization.SetAuthorized("alice@example.test");
        Authorization.SetRoles("Owner");
        var cut = Render<SecuritySettingsPage>();

        Assert.Empty(cut.FindAll("#stepup-grace-save"));
        cut.Find("input[data-stepup-code]").Change(StepUpUser.CodeAt(_time.GetUtcNow()));
        cut.Find("form[data-stepup-form]").Submit();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#stepup-grace-save")));
        cut.Find("#stepup-grace-minutes").Change("7");
        cut.Find("#stepup-grace-save").Click();

        cut.WaitForAssertion(() => Assert.Contains("Saved", cut.Find("#stepup-grace-message").TextContent, StringComparison.Ordinal));
        Assert.Contains("7 minutes", cut.Find("#stepup-grace-current").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void SecuritySettingsPage_Administrator_ReadsButHasNothingToEdit()
    {
        Authorization.SetAuthorized("adam@example.test");
        Authorization.SetRoles("Administrator");
        var cut = Render<SecuritySettingsPage>();

        Assert.Contains("Only Owners", cut.Markup, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-stepup-challenge]"));
        Assert.Contains("30 minutes", cut.Find("#session-idle").TextContent, StringComparison.Ordinal);
        Assert.Contains("12 hours", cut.Find("#session-absolute").TextContent, StringComparison.Ordinal);
    }
}
