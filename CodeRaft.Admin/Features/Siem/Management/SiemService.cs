using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.StepUp;

namespace CodeRaft.Admin.Features.Siem.Management;

/// <summary>
/// SIEM targets for the console (Settings → SIEM). Scoped: one per circuit.
///
/// Every change demands a fresh step-up for the calling component's <see cref="StepUpTicket"/> (operations
/// <see cref="AddOperation"/>, <see cref="EditOperation"/>, <see cref="RemoveOperation"/>, <see cref="ToggleOperation"/>,
/// <see cref="ReplayOperation"/>), then runs in <see cref="SiemManagementCore"/> as the circuit's user, whose CURRENT
/// role the core reads from the store. Reads check the stored role too.
///
/// "Send test event" needs no step-up: it changes nothing and sends a fixed synthetic event (no audit data) to an
/// endpoint an administrator already configured; it does require the role, read from the store.
/// </summary>
public sealed class SiemService(SiemManagementCore core, StepUpService stepUp)
{
    public const string AddOperation = "siem.add";
    public const string EditOperation = "siem.edit";
    public const string RemoveOperation = "siem.remove";
    public const string ToggleOperation = "siem.toggle";
    public const string ReplayOperation = "siem.replay";

    public async Task<SiemResult> AddAsync(StepUpTicket? ticket, SiemTargetInput input, CancellationToken cancellationToken = default) =>
        await core.AddAsync(await stepUp.DemandOperatorAsync(ticket, AddOperation, cancellationToken), input, cancellationToken);

    public async Task<SiemResult> UpdateAsync(StepUpTicket? ticket, Guid id, SiemTargetInput input, CancellationToken cancellationToken = default) =>
        await core.UpdateAsync(await stepUp.DemandOperatorAsync(ticket, EditOperation, cancellationToken), id, input, cancellationToken);

    public async Task<SiemResult> RemoveAsync(StepUpTicket? ticket, Guid id, CancellationToken cancellationToken = default) =>
        await core.RemoveAsync(await stepUp.DemandOperatorAsync(ticket, RemoveOperation, cancellationToken), id, cancellationToken);

    public async Task<SiemResult> SetEnabledAsync(StepUpTicket? ticket, Guid id, bool enabled, CancellationToken cancellationToken = default) =>
        await core.SetEnabledAsync(await stepUp.DemandOperatorAsync(ticket, ToggleOperation, cancellationToken), id, enabled, cancellationToken);

    public async Task<SiemResult> ReplayAsync(StepUpTicket? ticket, Guid id, long fromSequence, CancellationToken cancellationToken = default) =>
        await core.ReplayAsync(await stepUp.DemandOperatorAsync(ticket, ReplayOperation, cancellationToken), id, fromSequence, cancellationToken);

    public async Task<bool> MayManageAsync(CancellationToken cancellationToken = default) =>
        await stepUp.CurrentUserIdAsync() is { } userId && await core.MayManageAsync(UserOperator.ConsoleUser(userId), cancellationToken);

    /// <summary>The targets by name. Throws <see cref="UnauthorizedAccessException"/> when the stored role no longer allows it.</summary>
    public async Task<IReadOnlyList<SiemTargetSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.ListAsync(cancellationToken);
    }

    public async Task<SiemTargetInput?> EditableAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return await core.EditableAsync(id, cancellationToken);
    }

    /// <summary>Each target's delivery status; null when no delivery engine runs in this process.</summary>
    public async Task<IReadOnlyList<SiemTargetStatus>?> StatusAsync(CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return core.Delivery is { } delivery ? await delivery.StatusAsync(cancellationToken) : null;
    }

    public async Task<SiemTestResult> SendTestAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await DemandReadAsync(cancellationToken);
        return core.Delivery is { } delivery ? await delivery.SendTestAsync(id, cancellationToken)
            : new SiemTestResult(false, "The delivery engine is not running in this process; no test event was sent.", TimeSpan.Zero);
    }

    private async Task DemandReadAsync(CancellationToken cancellationToken)
    {
        if (!await MayManageAsync(cancellationToken))
        {
            throw new UnauthorizedAccessException("Only Owners and Administrators can manage SIEM targets.");
        }
    }
}
