using CodeRaft.Admin.Features.Siem;
using CodeRaft.Admin.Features.Siem.Management;
using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;
using CodeRaft.Admin.Tests.TestSupport;

namespace CodeRaft.Admin.Tests.Features.Siem.Management;

/// <summary>The console's <see cref="SiemService"/>: a fresh step-up per change, the role read from the store.</summary>
public sealed class SiemServiceTests : IAsyncLifetime
{
    private readonly TempDirectory _data = new("coderaft-siem-service");
    private SiemWorld _world = null!;

    public async Task InitializeAsync() => _world = await SiemWorld.StartAsync(_data.Path);

    public async Task DisposeAsync()
    {
        await _world.DisposeAsync();
        _data.Dispose();
    }

    [Fact]
    public async Task AddAsync_WithoutStepUp_ThrowsAndAddsNothing()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);

        var thrown = await Assert.ThrowsAsync<StepUpRequiredException>(() => _world.Circuit(owner).AddAsync(StepUpTicket.New(), SiemTargetInputValidatorTests.Syslog()));

        Assert.Equal(SiemService.AddOperation, thrown.Operation);
        Assert.Empty(await _world.TargetsAsync());
        Assert.Empty(await _world.SiemAuditAsync());
    }

    [Fact]
    public async Task Operations_EachAfterItsOwnStepUp_Succeed()
    {
        var admin = await _world.SeedAsync(AdminRole.Administrator);
        var (service, ticket) = await _world.SteppedUpAsync(admin, SiemService.AddOperation);
        var id = (await service.AddAsync(ticket, SiemTargetInputValidatorTests.Syslog())).Id!.Value;

        // The add ticket does not unlock another operation's gate: a toggle demands its own confirmation.
        await Assert.ThrowsAsync<StepUpRequiredException>(() => _world.Circuit(admin).SetEnabledAsync(StepUpTicket.New(), id, false));

        (service, ticket) = await _world.SteppedUpAsync(admin, SiemService.ToggleOperation);
        Assert.True((await service.SetEnabledAsync(ticket, id, false)).Succeeded);
        (service, ticket) = await _world.SteppedUpAsync(admin, SiemService.ReplayOperation);
        Assert.True((await service.ReplayAsync(ticket, id, 1)).Succeeded);
        (service, ticket) = await _world.SteppedUpAsync(admin, SiemService.EditOperation);
        var edit = (await service.EditableAsync(id))!;
        edit.Name = "Renamed";
        Assert.True((await service.UpdateAsync(ticket, id, edit)).Succeeded);
        (service, ticket) = await _world.SteppedUpAsync(admin, SiemService.RemoveOperation);
        Assert.True((await service.RemoveAsync(ticket, id)).Succeeded);

        Assert.Equal(["siem.target_added", "siem.target_disabled", "siem.replay_requested", "siem.target_changed", "siem.target_removed"],
            (await _world.SiemAuditAsync()).Select(e => e.Action));
        Assert.All(await _world.SiemAuditAsync(), e => Assert.Equal((admin.ToString(), "user"), (e.ActorId, e.ActorType)));
    }

    [Fact]
    public async Task Reads_RoleTakenAway_Refused()
    {
        var auditor = await _world.SeedAsync(AdminRole.Auditor);
        var service = _world.Circuit(auditor);

        Assert.False(await service.MayManageAsync());
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.ListAsync());
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.SendTestAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task StatusAndTest_FromTheEngine_NoStepUpNeededForTest()
    {
        var owner = await _world.SeedAsync(AdminRole.Owner);
        var id = Guid.NewGuid();
        _world.Delivery.Statuses.Add(new SiemTargetStatus(id, SiemHealth.Degraded, 5, TimeSpan.FromSeconds(3), 10, null, null, ""));
        _world.Delivery.TestResult = new SiemTestResult(false, "Connection refused.", TimeSpan.FromMilliseconds(3));
        var service = _world.Circuit(owner);

        Assert.Equal(SiemHealth.Degraded, Assert.Single((await service.StatusAsync())!).Health);
        var test = await service.SendTestAsync(id);
        Assert.Equal((false, "Connection refused."), (test.Succeeded, test.Message));
    }
}
