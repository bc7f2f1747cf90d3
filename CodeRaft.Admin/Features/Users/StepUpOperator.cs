using CodeRaft.Admin.Security.StepUp;

namespace CodeRaft.Admin.Features.Users;

/// <summary>The one way the console's services turn a step-up into the operator a core acts as.</summary>
public static class StepUpOperator
{
    /// <summary>
    /// Step-up first (throws <see cref="StepUpRequiredException"/>, audited), then the circuit's user as the operator.
    /// The demand held for the user of that moment; act as that same user or not at all (a sign-out or another user's
    /// sign-in in between gives a fresh demand, never a change on someone else's step-up).
    /// </summary>
    public static async Task<UserOperator> DemandOperatorAsync(this StepUpService stepUp, StepUpTicket? ticket, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stepUp);
        var before = await stepUp.CurrentUserIdAsync();
        await stepUp.DemandAsync(ticket, operation, cancellationToken);
        var after = await stepUp.CurrentUserIdAsync();
        return before is { } userId && after == userId ? UserOperator.ConsoleUser(userId) : throw new StepUpRequiredException(operation);
    }
}
