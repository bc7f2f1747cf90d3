using System.Security.Claims;
using System.Text.RegularExpressions;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Totp;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Security.StepUp;

/// <summary>
/// Step-up for privileged components (docs/authentication.md, "Step-up"). Scoped: one instance per circuit, so
/// unlocks live in this tab's memory only and die with the circuit.
///
///   gate  → <see cref="ChallengeAsync"/> / <see cref="ChallengeWithRecoveryCodeAsync"/> → unlocks the gate's ticket
///   privileged operation → <see cref="DemandAsync"/> first → passes, or audits "stepup.required" (denied) and throws
///
/// An unlock is bound to the user who stepped up; the current user is read from the circuit's authentication state
/// on every demand, so a changed or signed-out user finds nothing unlocked.
/// </summary>
public sealed partial class StepUpService : IDisposable
{
    private readonly TotpService _totp;
    private readonly IDbContextFactory<AdminDbContext> _contexts;
    private readonly AuditWriter _audit;
    private readonly AuthenticationStateProvider _authentication;
    private readonly IStepUpPolicy _policy;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Dictionary<StepUpTicket, Unlock> _unlocked = [];
    private Unlock? _last;
    private CurrentUser? _user;
    private readonly StepUpThrottle? _throttle;
    private readonly CircuitClient? _client;

    /// <param name="throttle">The per-address brake (issue 7); null in tests that do not exercise it.</param>
    /// <param name="client">This circuit's browser address, for <paramref name="throttle"/>.</param>
    public StepUpService(TotpService totp, IDbContextFactory<AdminDbContext> contexts, AuditWriter audit,
        AuthenticationStateProvider authentication, IStepUpPolicy policy, TimeProvider time,
        StepUpThrottle? throttle = null, CircuitClient? client = null)
    {
        _throttle = throttle;
        _client = client;
        _totp = totp;
        _contexts = contexts;
        _audit = audit;
        _authentication = authentication;
        _policy = policy;
        _time = time;
        _authentication.AuthenticationStateChanged += OnAuthenticationStateChanged;
    }

    /// <summary>Verifies a TOTP code for <paramref name="operation"/>; on success unlocks <paramref name="ticket"/>.</summary>
    public async Task<TotpResult> ChallengeAsync(StepUpTicket ticket, string? code, string operation, CancellationToken cancellationToken = default)
    {
        ValidateOperation(operation);
        if (await CurrentUserAsync() is not { } user)
        {
            return NotSignedIn;
        }

        if (Throttled(user, operation) is { } throttled)
        {
            return throttled;
        }

        // TotpService owns replay protection (each step accepted once per user, atomically) and lockout.
        var result = await _totp.VerifyCodeAsync(user.Id, code, Purpose(operation), user.Actor, SourceIp, cancellationToken);
        if (result.Succeeded)
        {
            UnlockTicket(ticket, user.Id);
        }

        return result;
    }

    /// <summary>
    /// Fallback: a single-use recovery code (TotpService: marked used atomically, wrong codes count toward the
    /// lock); on success unlocks <paramref name="ticket"/>.
    /// </summary>
    public async Task<TotpResult> ChallengeWithRecoveryCodeAsync(StepUpTicket ticket, string? code, string operation, CancellationToken cancellationToken = default)
    {
        ValidateOperation(operation);
        if (await CurrentUserAsync() is not { } user)
        {
            return NotSignedIn;
        }

        if (Throttled(user, operation) is { } throttled)
        {
            return throttled;
        }

        var result = await _totp.VerifyRecoveryCodeAsync(user.Id, code, Purpose(operation), user.Actor, SourceIp, cancellationToken);
        if (result.Succeeded)
        {
            UnlockTicket(ticket, user.Id);
        }

        return result;
    }

    /// <summary>The circuit's browser address for audit entries ("" when unknown), as the sign-in pages record it.</summary>
    private string SourceIp => _client?.Address is { } address ? Authentication.SignInThrottling.SourceKey(address) : "";

    /// <summary>Refuses the attempt, before any code is checked, when this circuit's address is over its step-up budget.</summary>
    private TotpResult? Throttled(CurrentUser user, string operation) =>
        _throttle is null || _throttle.TryAttempt(_client?.Address, user.Actor, operation, out var retryAfter)
            ? null
            : new TotpResult(TotpOutcome.Invalid, $"Too many codes were tried from your address. Wait {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} seconds, then try again.");

    /// <summary>
    /// Whether <paramref name="ticket"/> may act now: it was unlocked itself, or (grace &gt; 0) this circuit's last
    /// step-up lies within the grace period. For rendering; operations call <see cref="DemandAsync"/>.
    /// </summary>
    public bool IsUnlocked(StepUpTicket ticket)
    {
        lock (_lock)
        {
            return _user is { } user && IsUnlockedFor(ticket, user.Id);
        }
    }

    /// <summary>
    /// The server-side guard every privileged operation calls first. Throws <see cref="StepUpRequiredException"/>
    /// (after auditing "stepup.required", denied) unless the current user holds a valid step-up for
    /// <paramref name="ticket"/> in this circuit. Async because the denial is written durably before the refusal.
    /// </summary>
    public async Task DemandAsync(StepUpTicket? ticket, string operation, CancellationToken cancellationToken = default)
    {
        ValidateOperation(operation);
        var user = await CurrentUserAsync();
        bool unlocked;
        lock (_lock)
        {
            unlocked = user is not null && ticket is { } t && IsUnlockedFor(t, user.Id);
        }

        if (unlocked)
        {
            return;
        }

        await _audit.AppendAsync(AuthEvent(user, "stepup.required", AuditVocabulary.Denied, ("operation", operation)), cancellationToken);
        throw new StepUpRequiredException(operation);
    }

    /// <summary>Forgets a ticket when its gate goes away.</summary>
    public void Release(StepUpTicket ticket)
    {
        lock (_lock)
        {
            _unlocked.Remove(ticket);
        }
    }

    /// <summary>The signed-in user of this circuit, or null. Exposed for the gate's "sign in first" state.</summary>
    public async Task<Guid?> CurrentUserIdAsync() => (await CurrentUserAsync())?.Id;

    public void Dispose() => _authentication.AuthenticationStateChanged -= OnAuthenticationStateChanged;

    private bool IsUnlockedFor(StepUpTicket ticket, Guid userId)
    {
        // Called under _lock. Unlocks never outlive a change of user; the user check is belt and braces.
        if (ticket.IsEmpty)
        {
            return false;
        }

        // An unlocked component stays unlocked while it is in use, but not forever: an unattended tab must
        // challenge again after MaxTicketAge.
        if (_unlocked.TryGetValue(ticket, out var own) && own.UserId == userId && _time.GetUtcNow() - own.At < StepUpOptions.MaxTicketAge)
        {
            return true;
        }

        var grace = _policy.GracePeriod;
        return grace > TimeSpan.Zero && _last is { } last && last.UserId == userId && _time.GetUtcNow() - last.At < grace;
    }

    private void UnlockTicket(StepUpTicket ticket, Guid userId)
    {
        if (ticket.IsEmpty)
        {
            return;
        }

        lock (_lock)
        {
            var unlock = new Unlock(userId, _time.GetUtcNow());
            _unlocked[ticket] = unlock;
            _last = unlock;
        }
    }

    private async Task<CurrentUser?> CurrentUserAsync()
    {
        var state = await _authentication.GetAuthenticationStateAsync();
        var user = ToCurrentUser(state.User);
        lock (_lock)
        {
            if (_user?.Id != user?.Id)
            {
                // Another user (or none) in this circuit: nothing unlocked by the previous one survives.
                _unlocked.Clear();
                _last = null;
            }

            _user = user;
        }

        return user;
    }

    private void OnAuthenticationStateChanged(Task<AuthenticationState> state) =>
        _ = state.ContinueWith(t =>
        {
            var user = t.IsCompletedSuccessfully ? ToCurrentUser(t.Result.User) : null;
            lock (_lock)
            {
                if (_user?.Id != user?.Id)
                {
                    _unlocked.Clear();
                    _last = null;
                }

                _user = user;
            }
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static CurrentUser? ToCurrentUser(ClaimsPrincipal principal)
    {
        return Security.Authentication.AdminClaims.UserId(principal) is { } id
            ? new CurrentUser(id, AuditActor.User(id.ToString(), principal.Identity?.Name ?? ""))
            : null;
    }

    private static AuditEvent AuthEvent(CurrentUser? user, string action, string outcome, params (string Key, object? Value)[] details) => new()
    {
        Category = "auth",
        Action = action,
        Outcome = outcome,
        Actor = user?.Actor ?? AuditActor.Anonymous,
        TargetType = user is null ? "" : "user",
        TargetId = user?.Id.ToString() ?? "",
        Details = AuditDetails.Of(details),
    };

    private static string Purpose(string operation) => $"step-up:{operation}";

    private static void ValidateOperation(string operation)
    {
        // Operation names come from code, not from users; a bad one is a programming error.
        if (operation is null || !OperationName().IsMatch(operation))
        {
            throw new ArgumentException("An operation is a short lowercase name such as user.disable or apikey.create.", nameof(operation));
        }
    }

    private static readonly TotpResult NotSignedIn = new(TotpOutcome.NotEnrolled, "Sign in first: confirming an action needs a signed-in user.");

    [GeneratedRegex("^[a-z][a-z0-9_.-]{0,63}$")]
    private static partial Regex OperationName();

    private sealed record Unlock(Guid UserId, DateTimeOffset At);

    private sealed record CurrentUser(Guid Id, AuditActor Actor);
}
