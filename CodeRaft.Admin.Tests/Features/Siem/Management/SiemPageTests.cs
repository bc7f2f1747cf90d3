using AngleSharp.Dom;
using Bunit;
using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Tests.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CodeRaft.Admin.Tests.Features.Siem.Management;

/// <summary>Settings → SIEM over a real store, core, service and step-up, with a recording delivery engine.</summary>
public sealed class SiemPageTests : AdminBunitContext, IAsyncLifetime
{
    private const string Dialog = ".mud-dialog";

    private readonly TempDirectory _data = new("coderaft-siem-page");

    private SiemWorld World { get; set; } = default!;

    async Task IAsyncLifetime.InitializeAsync() => World = await SiemWorld.StartAsync(_data.Path);

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await World.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task Render_Owner_ListsTargetsWithStatusFromTheEngine()
    {
        await SignInAsAsync(AdminRole.Owner);
        var id = await AddAsync(SiemTargetInputValidatorTests.Syslog());
        World.Delivery.Statuses.Add(new SiemTargetStatus(id, SiemHealth.Failing, 42, TimeSpan.FromSeconds(95), 1234, null, DateTime.UtcNow, "Connection refused (siem.example.com:6514)."));

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("1 target", page.Find("#siem-count").TextContent.Trim()));
        var row = Row(page, id);
        Assert.Equal("Graylog", Cell(row, "name"));
        Assert.Equal("syslog-tls", Cell(row, "type"));
        Assert.Equal("siem.example.com:6514", Cell(row, "endpoint"));
        Assert.Equal("rfc5424", Cell(row, "format"));
        Assert.Equal("everything", Cell(row, "filters"));
        Assert.Equal("failing", row.QuerySelector("[data-col=status]")!.GetAttribute("data-health"));
        Assert.Equal("42 events · 95 s", Cell(row, "lag"));
        Assert.Equal("1,234", Cell(row, "delivered"));
        Assert.Equal("never", Cell(row, "last-success"));
        Assert.Equal("Connection refused (siem.example.com:6514).", Cell(row, "last-error"));
        Assert.Empty(page.FindAll("#siem-no-engine"));
    }

    [Fact]
    public async Task Render_NoEngine_SaysSo()
    {
        World.Delivery.Running = false;
        await SignInAsAsync(AdminRole.Administrator);

        var (_, page) = RenderPage();

        page.WaitForElement("#siem-no-engine");
    }

    [Theory]
    [InlineData(AdminRole.Auditor)]
    [InlineData(AdminRole.Viewer)]
    public async Task Render_RoleWithoutPermission_NoTargetsNoButtons(AdminRole role)
    {
        await SignInAsAsync(role);
        await AddAsync(SiemTargetInputValidatorTests.Syslog());

        var (_, page) = RenderPage();

        page.WaitForAssertion(() => Assert.Equal("Your role does not include managing SIEM targets.", page.Find("#siem-error").TextContent.Trim()));
        Assert.Empty(page.FindAll("#siem-add"));
        Assert.DoesNotContain("Graylog", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_BeforeCode_ChallengeOnly_AfterCode_AddsAndLists()
    {
        var me = await SignInAsAsync(AdminRole.Administrator);
        var (host, page) = RenderPage();
        page.WaitForAssertion(() => Assert.Equal("0 targets", page.Find("#siem-count").TextContent.Trim()));

        host.Find("#siem-add").Click();
        host.WaitForElement($"{Dialog} #siem-target-dialog [data-stepup-challenge=\"siem.add\"]");
        Assert.Empty(host.FindAll("#siem-target-form"));

        StepUp(host);
        host.WaitForElement("#siem-target-form");
        host.Find("input#siem-name").Change("rsyslog");
        host.Find("input#siem-endpoint").Change("siem.example.com:99999");
        await host.InvokeAsync(() => host.Find("#siem-target-save").Click());
        host.WaitForAssertion(() => Assert.Equal("The port must be a number from 1 to 65535.", host.Find("#siem-target-message").TextContent.Trim()));
        Assert.Empty(await World.TargetsAsync());

        host.Find("input#siem-endpoint").Change("[2001:db8::1]:514");
        await host.InvokeAsync(() => host.Find("#siem-target-save").Click());

        host.WaitForElement("#siem-target-result");
        var stored = Assert.Single(await World.TargetsAsync());
        Assert.Equal(("rsyslog", SiemTargetType.SyslogTcp, "[2001:db8::1]:514", me.ToString()), (stored.Name, stored.Type, stored.Endpoint, stored.CreatedBy));
        page.WaitForAssertion(() => Assert.Equal("rsyslog", Cell(Row(page, stored.Id), "name")));
    }

    [Fact]
    public async Task Edit_Webhook_SecretIsWriteOnlyAndKeptWhenLeftEmpty()
    {
        await SignInAsAsync(AdminRole.Owner);
        var secret = SiemTargetInputValidatorTests.WebhookSecret();
        var id = await AddAsync(SiemTargetInputValidatorTests.Webhook(secret));
        var (host, page) = RenderPage();
        page.WaitForElement($"[data-actions=\"{id}\"]");

        await host.InvokeAsync(() => page.Find($"[data-actions=\"{id}\"] [data-action=edit]").Click());
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"siem.edit\"]");
        StepUp(host);
        var field = host.WaitForElement("input#siem-secret");

        Assert.Equal("true", field.GetAttribute("data-stored"));
        Assert.True(string.IsNullOrEmpty(field.GetAttribute("value")));
        Assert.Contains("Stored; leave empty to keep it.", host.Find("#siem-target-dialog").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[6..], host.Markup, StringComparison.Ordinal);
        host.Find("input#siem-endpoint").Change("https://hooks.example.com/v2");
        await host.InvokeAsync(() => host.Find("#siem-target-save").Click());

        host.WaitForElement("#siem-target-result");
        var stored = Assert.Single(await World.TargetsAsync());
        Assert.Equal(("https://hooks.example.com/v2", secret), (stored.Endpoint, stored.Secret));
        Assert.DoesNotContain(secret[6..], host.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SendTest_ShowsTheResult()
    {
        await SignInAsAsync(AdminRole.Owner);
        var id = await AddAsync(SiemTargetInputValidatorTests.Syslog());
        World.Delivery.TestResult = new SiemTestResult(false, "TLS handshake failed: the certificate is not trusted.", TimeSpan.FromMilliseconds(40));
        var (host, page) = RenderPage();
        page.WaitForElement($"[data-actions=\"{id}\"]");

        await host.InvokeAsync(() => page.Find($"[data-actions=\"{id}\"] [data-action=test]").Click());

        var result = page.WaitForElement("#siem-test-result");
        Assert.Equal(("false", id.ToString()), (result.GetAttribute("data-succeeded"), result.GetAttribute("data-target-id")));
        Assert.Contains("TLS handshake failed: the certificate is not trusted.", result.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_AfterStepUpAndConfirmation_MovesTheCursor()
    {
        await SignInAsAsync(AdminRole.Owner);
        var id = await AddAsync(SiemTargetInputValidatorTests.Syslog());
        var (host, page) = RenderPage();
        page.WaitForElement($"[data-actions=\"{id}\"]");

        await host.InvokeAsync(() => page.Find($"[data-actions=\"{id}\"] [data-action=replay]").Click());
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"siem.replay\"]");
        Assert.Empty(host.FindAll("#siem-action-confirm"));
        StepUp(host);
        host.WaitForElement("input#siem-replay-from").Change("1");
        Assert.True(host.Find("#siem-action-confirm").HasAttribute("disabled")); // not before the box is ticked

        host.Find("[data-replay-confirm] input[type=checkbox]").Change(true);
        await host.InvokeAsync(() => host.Find("#siem-action-confirm").Click());

        host.WaitForAssertion(() => Assert.Equal("succeeded", host.Find("#siem-action-result").GetAttribute("data-outcome")));
        Assert.Equal(0, (await World.DeliveryRowAsync(id))!.Cursor);
        Assert.Equal("siem.replay_requested", (await World.SiemAuditAsync())[^1].Action);
    }

    [Fact]
    public async Task Disable_AfterStepUp_DisablesAndTheRowSaysEnable()
    {
        await SignInAsAsync(AdminRole.Owner);
        var id = await AddAsync(SiemTargetInputValidatorTests.Syslog());
        var (host, page) = RenderPage();
        page.WaitForElement($"[data-actions=\"{id}\"]");

        await host.InvokeAsync(() => page.Find($"[data-actions=\"{id}\"] [data-action=disable]").Click());
        host.WaitForElement($"{Dialog} [data-stepup-challenge=\"siem.toggle\"]");
        StepUp(host);
        await host.InvokeAsync(() => host.WaitForElement("#siem-action-confirm").Click());

        host.WaitForAssertion(() => Assert.Equal("succeeded", host.Find("#siem-action-result").GetAttribute("data-outcome")));
        Assert.False(Assert.Single(await World.TargetsAsync()).Enabled);
        page.WaitForElement($"[data-actions=\"{id}\"] [data-action=enable]");
    }

    [Fact]
    public async Task DashboardTile_ShowsTheWorstLagAmongEnabledTargetsAndLinksToTheSettings()
    {
        await SignInAsAsync(AdminRole.Owner);
        var fast = await AddAsync(SiemTargetInputValidatorTests.Syslog());
        var slowInput = SiemTargetInputValidatorTests.Webhook();
        slowInput.Name = "Slow hook";
        var slow = await AddAsync(slowInput);
        var offInput = SiemTargetInputValidatorTests.Hec();
        offInput.Enabled = false;
        var off = await AddAsync(offInput);
        World.Delivery.Statuses.Add(new SiemTargetStatus(fast, SiemHealth.Healthy, 2, TimeSpan.FromSeconds(1), 10, DateTime.UtcNow, null, ""));
        World.Delivery.Statuses.Add(new SiemTargetStatus(slow, SiemHealth.Degraded, 900, TimeSpan.FromSeconds(75), 10, DateTime.UtcNow, null, ""));
        World.Delivery.Statuses.Add(new SiemTargetStatus(off, SiemHealth.Disabled, 5000, TimeSpan.FromHours(3), 0, null, null, ""));

        var tile = Render<SiemLagTile>(p => p.Add(t => t.Siem, Services.GetRequiredService<SiemService>()));

        tile.WaitForAssertion(() => Assert.Equal("degraded", tile.Find("#dashboard-siem").GetAttribute("data-health")));
        Assert.Equal("Worst lag 900 events · 75 s", tile.Find("#dashboard-siem-lag").TextContent.Trim());
        Assert.Contains("Slow hook is degraded", tile.Find("#dashboard-siem").TextContent, StringComparison.Ordinal);
        Assert.Equal("settings/siem", tile.Find("#dashboard-siem-link").GetAttribute("href"));
    }

    [Fact]
    public async Task DashboardTile_Viewer_ShowsNothing()
    {
        await SignInAsAsync(AdminRole.Viewer);

        var tile = Render<SiemLagTile>(p => p.Add(t => t.Siem, Services.GetRequiredService<SiemService>()));

        Assert.Empty(tile.FindAll("#dashboard-siem"));
    }

    private async Task<Guid> SignInAsAsync(AdminRole role)
    {
        var id = await World.SeedAsync(role);
        AddFallbackServices(services =>
        {
            StepUpUser.AddCircuitServices(services, World.Users.Store, id, World.Time)
                .AddSingleton(World.Core)
                .AddSingleton<SiemService>()
                .AddSingleton(new SiemTargetInputValidator());
        });
        Authorization.SetAuthorized($"{role}@example.test");
        Authorization.SetRoles(role.ToString());
        return id;
    }

    private async Task<Guid> AddAsync(SiemTargetInput input)
    {
        var result = await World.Core.AddAsync(UserOperator.HostCli, input);
        Assert.True(result.Succeeded, result.Message);
        return result.Id!.Value;
    }

    private (IRenderedComponent<IComponent> Host, IRenderedComponent<SiemPage> Page) RenderPage()
    {
        var host = Render(builder =>
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<SiemPage>(2);
            builder.CloseComponent();
        });
        return (host, host.FindComponent<SiemPage>());
    }

    private static IElement Row(IRenderedComponent<SiemPage> page, Guid id) => page.Find($"[data-target-id=\"{id}\"]").Closest("tr")!;

    private static string Cell(IElement row, string column) => row.QuerySelector($"[data-col={column}]")!.TextContent.Trim();

    private void StepUp(IRenderedComponent<IComponent> host)
    {
        host.Find($"{Dialog} input[data-stepup-code]").Change(StepUpUser.CodeAt(World.Time.GetUtcNow()));
        host.Find($"{Dialog} form[data-stepup-form]").Submit();
    }
}
