using Bunit;
using CodeRaft.Admin.Components.Shared;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Security.Totp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CodeRaft.Admin.Tests.Security.StepUp;

/// <summary>The gate over a real store: one bUnit context is one circuit of the signed-in test user.</summary>
public sealed class StepUpGateTests : AdminBunitContext, IAsyncLifetime
{
    private const string Secret = "<p data-privileged>Disable user</p>";

    private readonly TempDirectory _data = new("coderaft-stepup-ui");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 9, 0, 10, TimeSpan.Zero));
    private TestStore _store = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _store = await TestStore.StartAsync(_data.Path, TestSecrets.NewMasterSecret(), time: _time);
        var userId = await StepUpUser.SeedAsync(_store, _time.GetUtcNow());

        AddFallbackServices(services => StepUpUser.AddCircuitServices(services, _store, userId, _time));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _store.DisposeAsync();
        _data.Dispose();
    }

    private IRenderedComponent<StepUpGate> RenderGate() =>
        Render<StepUpGate>(p => p.Add(g => g.Operation, "user.disable").Add(g => g.ChildContent, _ => Secret));

    private static void Submit(IRenderedComponent<IComponent> cut, string selector, string value)
    {
        cut.Find(selector).Change(value);
        cut.Find("form[data-stepup-form]").Submit();
    }

    [Fact]
    public void StepUpGate_BeforeValidCode_ShowsChallengeNotContent_AfterValidCode_ShowsContent()
    {
        var cut = RenderGate();

        Assert.Empty(cut.FindAll("[data-privileged]"));
        Assert.NotEmpty(cut.FindAll("[data-stepup-challenge]"));

        Submit(cut, "input[data-stepup-code]", StepUpUser.CodeAt(_time.GetUtcNow()));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-privileged]")));
        Assert.Empty(cut.FindAll("[data-stepup-challenge]"));
    }

    [Fact]
    public void StepUpGate_WrongCode_ShowsMessageAndKeepsContentHidden()
    {
        var cut = RenderGate();

        Submit(cut, "input[data-stepup-code]", "000000");

        cut.WaitForAssertion(() => Assert.Contains("not valid", cut.Find("[data-stepup-message]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-privileged]"));
    }

    [Fact]
    public void StepUpGate_TenKilobyteInput_ClearMessageAndComponentAlive()
    {
        var cut = RenderGate();

        Submit(cut, "input[data-stepup-code]", new string('9', 10 * 1024));

        cut.WaitForAssertion(() => Assert.Contains("That is not a code", cut.Find("[data-stepup-message]").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-privileged]"));

        // Still alive: the right code now gets through.
        Submit(cut, "input[data-stepup-code]", StepUpUser.CodeAt(_time.GetUtcNow()));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-privileged]")));
    }

    [Fact]
    public void StepUpGate_RecoveryCode_UnlocksThroughFallbackField()
    {
        var cut = RenderGate();

        cut.Find("button[data-stepup-toggle]").Click();
        Submit(cut, "input[data-stepup-recovery]", StepUpUser.RecoveryCodes[0]);

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-privileged]")));
    }

    [Fact]
    public void StepUpGate_TwoGatesWithoutGrace_UnlockingOneLeavesTheOtherChallenging()
    {
        var first = RenderGate();
        var second = RenderGate();

        Submit(first, "input[data-stepup-code]", StepUpUser.CodeAt(_time.GetUtcNow()));

        first.WaitForAssertion(() => Assert.NotEmpty(first.FindAll("[data-privileged]")));
        second.Render();
        Assert.Empty(second.FindAll("[data-privileged]"));
        Assert.NotEmpty(second.FindAll("[data-stepup-challenge]"));
    }
}
