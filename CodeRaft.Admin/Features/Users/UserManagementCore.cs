using System.Text.Json.Nodes;
using CodeRaft.Admin.Features.Account;
using CodeRaft.Admin.Features.Audit.Chain;
using CodeRaft.Admin.Infrastructure.Data;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CodeRaft.Admin.Features.Users;

/// <summary>
/// User management (docs/users.md). NOT for components: the console goes through <see cref="UserManagementService"/>,
/// which demands a step-up first; the CLI calls this with <see cref="UserOperator.HostCli"/>.
///
/// Every operation runs the same way, in ONE <see cref="AuditWriter.ExecuteAsync{T}"/> — it takes the audit chain's
/// lock before anything is read, so guards and changes are serialized with every other audited change (also across
/// processes on PostgreSQL), and the change commits together with its audit entry or not at all:
///
///   guard   the operator's current role and status from the store; the rules of <see cref="UserRules"/>;
///           the last active Owner; free seats          → refused: an entry with outcome "denied", nothing changed
///   mutate  the tracked user row (and its product, invitation, recovery-code rows)
///   persist the change and its "users" entry (before/after, never a secret) commit together
///   notify  <see cref="SessionRevocations"/> after the commit, so the user's open circuits re-check at once
/// </summary>
public sealed class UserManagementCore(
    IDbContextFactory<AdminDbContext> contexts,
    AuditWriter audit,
    ILicenseSeats licenseSeats,
    InviteUserInputValidator inviteValidator,
    SessionRevocations revocations,
    IConfiguration configuration,
    IOptions<UsersOptions> options,
    TimeProvider time)
{
    public const int MaxReasonLength = 500;

    public async Task<InviteResult> InviteAsync(UserOperator by, InviteUserInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        ArgumentNullException.ThrowIfNull(input);
        var validation = await inviteValidator.ValidateAsync(input, cancellationToken);
        if (!validation.IsValid)
        {
            var errors = validation.Errors.Select(e => e.ErrorMessage).Distinct(StringComparer.Ordinal).ToList();
            return new InviteResult(UserOperationOutcome.Invalid, string.Join(" ", errors)) { Errors = errors };
        }

        var email = InviteUserInputValidator.Trimmed(input.Email);
        var displayName = InviteUserInputValidator.Trimmed(input.DisplayName);
        var products = input.Products.Distinct().Order().ToList();
        var capacity = await SeatsAsync(products, cancellationToken);
        var mode = OidcAuthentication.ReadMode(configuration);
        var now = time.GetUtcNow();

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await audit.ExecuteAsync<InviteResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var denial = actor.Authorize(UserOperation.Invite, null, input.Role);
            var requested = Details(("email", email), ("displayName", displayName), ("role", input.Role.ToString()), ("products", Ids(products)));
            if (denial is not null)
            {
                return Refuse(new InviteResult(UserOperationOutcome.Denied, denial), UserOperation.Invite, actor, null, denial, requested);
            }

            // Again inside the lock: two invitations of one address cannot both pass the validator's check.
            if (await InviteUserInputValidator.ExistsAsync(db, email, ct))
            {
                return (new InviteResult(UserOperationOutcome.Invalid, InviteUserInputValidator.DuplicateMessage) { Errors = [InviteUserInputValidator.DuplicateMessage] }, None);
            }

            foreach (var product in products)
            {
                var seats = await licenseSeats.GetSeatsInChangeAsync(db, product, ct);
                if (await SeatRefusalAsync(db, product, capacity[product] with { Seats = seats }, ct) is { } refusal)
                {
                    return Refuse(new InviteResult(UserOperationOutcome.Denied, refusal), UserOperation.Invite, actor, null, refusal, requested);
                }
            }

            var user = AdminUser.Create(email, email, displayName, input.Role, AdminUserStatus.Invited, now.UtcDateTime);
            db.Users.Add(user);
            db.ProductAccess.AddRange(products.Select(p => NewAccess(user.Id, p, actor, now)));
            (string Token, string Hash)? token = mode == AuthenticationMode.Local ? InvitationTokens.Create() : null;
            var expiresAt = now + options.Value.EffectiveInvitationLifetime;
            if (token is { } t)
            {
                db.UserInvitations.Add(new UserInvitation
                {
                    Id = Guid.CreateVersion7(),
                    UserId = user.Id,
                    TokenHash = t.Hash,
                    CreatedAt = now.UtcDateTime,
                    ExpiresAt = expiresAt.UtcDateTime,
                    CreatedBy = actor.GrantedBy,
                });
            }

            var details = Details(
                ("after", Snapshot(user, products)),
                ("mode", mode.ToString()),
                ("linkExpiresAt", token is null ? null : AuditHash.FormatTimestamp(expiresAt)));
            var name = NameOf(user);
            var message = token is null
                ? $"{name} is invited as {input.Role}: they can now sign in with your organization's account ({email})."
                : $"{name} is invited as {input.Role}. Send them the activation link; it works once, until {expiresAt:yyyy-MM-dd HH:mm} UTC.";
            return (new InviteResult(UserOperationOutcome.Succeeded, message, user.Id, token is { } k ? InvitationTokens.Link(k.Token) : null, token is null ? null : expiresAt),
                [Event(UserOperation.Invite, AuditVocabulary.Success, actor, user.Id, details)]);
        }, cancellationToken);
    }

    public Task<UserOperationResult> ChangeRoleAsync(UserOperator by, Guid userId, AdminRole role, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(role))
        {
            return Task.FromResult(new UserOperationResult(UserOperationOutcome.Invalid, "Choose one of the roles Owner, Administrator, Auditor or Viewer."));
        }

        return RunAsync(by, UserOperation.ChangeRole, userId, role, user =>
        {
            if (user.Role == role)
            {
                return Unchanged($"{NameOf(user)} already has the role {role}.");
            }

            var before = user.Role;
            user.Role = role;
            // A new stamp, so sessions of the old role cannot come back to life should the role later be changed back.
            user.SecurityStamp = NewStamp();
            return Done($"{NameOf(user)} is now {Article(role)} {role}.", Details(("before", Obj(("role", before.ToString()))), ("after", Obj(("role", role.ToString())))));
        }, revokeSessions: true, cancellationToken);
    }

    public Task<UserOperationResult> DisableAsync(UserOperator by, Guid userId, CancellationToken cancellationToken = default) =>
        RunAsync(by, UserOperation.Disable, userId, null, user =>
        {
            if (user.Status == AdminUserStatus.Disabled)
            {
                return Unchanged($"{NameOf(user)} is already disabled.");
            }

            var before = user.Status;
            user.Status = AdminUserStatus.Disabled;
            // A new stamp, so enabling the account later does not revive the sessions it had before.
            user.SecurityStamp = NewStamp();
            return Done($"{NameOf(user)} is disabled; their open sessions end now.", StatusChange(before, user.Status));
        }, revokeSessions: true, cancellationToken);

    public Task<UserOperationResult> EnableAsync(UserOperator by, Guid userId, CancellationToken cancellationToken = default) =>
        RunAsync(by, UserOperation.Enable, userId, null, user =>
        {
            if (user.Status != AdminUserStatus.Disabled)
            {
                return Unchanged($"{NameOf(user)} is not disabled.");
            }

            // Back to where they were: someone who never completed the invitation is still only invited.
            var activated = user.PasswordHash is not null || user.ExternalSubject.Length > 0;
            user.Status = activated ? AdminUserStatus.Active : AdminUserStatus.Invited;
            return Done($"{NameOf(user)} is enabled.", StatusChange(AdminUserStatus.Disabled, user.Status));
        }, revokeSessions: false, cancellationToken);

    /// <summary>
    /// Break-glass for a lost authenticator: forgets the TOTP key, replay state, failures, lock and every recovery
    /// code, and rotates the security stamp; the user enrolls again at their next sign-in (after the password, or
    /// the provider). <paramref name="reason"/> (optional, e.g. a ticket number) goes into the audit entry.
    /// </summary>
    public Task<UserOperationResult> ResetMfaAsync(UserOperator by, Guid userId, string? reason = null, CancellationToken cancellationToken = default)
    {
        reason = reason?.Trim() ?? "";
        if (reason.Length > MaxReasonLength || !InviteUserInputValidator.IsCleanText(reason))
        {
            return Task.FromResult(new UserOperationResult(UserOperationOutcome.Invalid,
                $"The reason must be at most {MaxReasonLength} characters, without control characters."));
        }

        return RunAsync(by, UserOperation.ResetMfa, userId, null, async (db, user, _, ct) =>
        {
            var enrolled = TotpEnrollmentService.IsEnrolled(user);
            if (!enrolled && user.TotpLockedUntil is null && !await db.RecoveryCodes.AnyAsync(c => c.UserId == user.Id, ct))
            {
                return Unchanged($"{NameOf(user)} has not set up two-factor authentication; there is nothing to reset.");
            }

            var codesDeleted = await TotpEnrollmentService.ClearMfaAsync(db, user, ct);
            return Done($"Two-factor authentication of {NameOf(user)} is reset: they set it up again at their next sign-in.", Details(
                ("before", Obj(("mfaEnrolled", enrolled))),
                ("after", Obj(("mfaEnrolled", false))),
                ("codesDeleted", codesDeleted),
                ("reason", reason)));
        }, revokeSessions: true, cancellationToken);
    }

    /// <summary>Deletes the user with their product access (seats are freed), invitations and recovery codes. The audit entries stay.</summary>
    public Task<UserOperationResult> RemoveAsync(UserOperator by, Guid userId, CancellationToken cancellationToken = default) =>
        RunAsync(by, UserOperation.Remove, userId, null, async (db, user, _, ct) =>
        {
            var products = await ProductsOfAsync(db, user.Id, ct);
            await db.ProductAccess.Where(a => a.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserInvitations.Where(i => i.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.RecoveryCodes.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserClaims.Where(c => c.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserLogins.Where(l => l.UserId == user.Id).ExecuteDeleteAsync(ct);
            await db.UserTokens.Where(t => t.UserId == user.Id).ExecuteDeleteAsync(ct);
            db.Users.Remove(user);
            return Done($"{NameOf(user)} is removed.", Details(("before", Snapshot(user, products)), ("after", null)));
        }, revokeSessions: true, cancellationToken);

    public async Task<UserOperationResult> GrantProductAsync(UserOperator by, Guid userId, Product product, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(product))
        {
            return new UserOperationResult(UserOperationOutcome.Invalid, "Choose one of EntraGuard, Ravenscan and RedFox Bastion.");
        }

        var capacity = await CapacityAsync(product, cancellationToken);
        return await RunAsync(by, UserOperation.GrantProduct, userId, null, async (db, user, actor, ct) =>
        {
            var before = await ProductsOfAsync(db, user.Id, ct);
            if (before.Contains(product))
            {
                return Unchanged($"{NameOf(user)} already has access to {product.DisplayName()}.");
            }

            // Counted inside the lock: concurrent grants are serialized, so they can never exceed the seats.
            var seats = await licenseSeats.GetSeatsInChangeAsync(db, product, ct);
            if (await SeatRefusalAsync(db, product, capacity with { Seats = seats }, ct) is { } refusal)
            {
                return Refused(refusal, Details(("product", product.Id()), ("seats", seats)));
            }

            db.ProductAccess.Add(NewAccess(user.Id, product, actor, time.GetUtcNow()));
            var inUse = await db.ProductAccess.CountAsync(a => a.Product == product, ct) + 1;
            return Done($"{NameOf(user)} now has access to {product.DisplayName()} ({inUse} of {seats} seats in use).", Details(
                ("product", product.Id()),
                ("before", Obj(("products", Ids(before)))),
                ("after", Obj(("products", Ids([.. before, product])))),
                ("seatsInUse", inUse),
                ("seats", seats)));
        }, revokeSessions: false, cancellationToken);
    }

    public Task<UserOperationResult> RevokeProductAsync(UserOperator by, Guid userId, Product product, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(product))
        {
            return Task.FromResult(new UserOperationResult(UserOperationOutcome.Invalid, "Choose one of EntraGuard, Ravenscan and RedFox Bastion."));
        }

        return RunAsync(by, UserOperation.RevokeProduct, userId, null, async (db, user, _, ct) =>
        {
            var before = await ProductsOfAsync(db, user.Id, ct);
            if (!before.Contains(product))
            {
                return Unchanged($"{NameOf(user)} has no access to {product.DisplayName()}.");
            }

            await db.ProductAccess.Where(a => a.UserId == user.Id && a.Product == product).ExecuteDeleteAsync(ct);
            return Done($"{NameOf(user)} no longer has access to {product.DisplayName()}.", Details(
                ("product", product.Id()),
                ("before", Obj(("products", Ids(before)))),
                ("after", Obj(("products", Ids([.. before.Where(p => p != product)]))))));
        }, revokeSessions: false, cancellationToken);
    }

    /// <summary>What <paramref name="by"/> may attempt on <paramref name="targetUserId"/> (null: inviting); read-only, for the UI.</summary>
    public async Task<UserPermissionSet> GetPermissionsAsync(UserOperator by, Guid? targetUserId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var actor = await LoadOperatorAsync(db, by, cancellationToken);
        if (actor.Subject is null && !by.IsHostCli)
        {
            return UserPermissionSet.None;
        }

        var target = targetUserId is { } id
            ? await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new UserRules.Subject(u.Id, u.Role, u.Status)).SingleOrDefaultAsync(cancellationToken)
            : null;
        if (targetUserId is not null && target is null)
        {
            return UserPermissionSet.None;
        }

        var operations = UserOperations.All
            .Where(op => (target is null) == (op == UserOperation.Invite))
            .Where(op => actor.Authorize(op, target, null) is null)
            .ToHashSet();
        IReadOnlyList<AdminRole> roles = by.IsHostCli ? Enum.GetValues<AdminRole>() : UserRules.AssignableRoles(actor.Subject!);
        return new UserPermissionSet(operations, roles);
    }

    /// <summary>
    /// The common path of every operation on an existing user: load operator and target → rules → last active
    /// Owner → <paramref name="change"/> (which mutates the tracked <see cref="AdminUser"/>) → audit, in one transaction.
    /// </summary>
    private async Task<UserOperationResult> RunAsync(UserOperator by, UserOperation operation, Guid userId, AdminRole? newRole,
        Func<AdminDbContext, AdminUser, Operator, CancellationToken, Task<Change>> change, bool revokeSessions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(by);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var result = await audit.ExecuteAsync<UserOperationResult>(db, async ct =>
        {
            var actor = await LoadOperatorAsync(db, by, ct);
            var user = await db.Users.SingleOrDefaultAsync(u => u.Id == userId, ct);
            if (user is null)
            {
                return (new UserOperationResult(UserOperationOutcome.NotFound, "This user does not exist any more."), None);
            }

            var target = new UserRules.Subject(user.Id, user.Role, user.Status);
            var request = newRole is { } role ? Details(("email", user.Email), ("role", role.ToString())) : Details(("email", user.Email));
            if (actor.Authorize(operation, target, newRole) is { } denial)
            {
                return Refuse(new UserOperationResult(UserOperationOutcome.Denied, denial), operation, actor, user.Id, denial, request);
            }

            if (UserRules.TakesAwayActiveOwner(operation, target, newRole)
                && !await db.Users.AnyAsync(u => u.Id != user.Id && u.Role == AdminRole.Owner && u.Status == AdminUserStatus.Active, ct))
            {
                var lastOwner = $"{NameOf(user)} is the last active Owner: make another user an Owner first, so the platform always has one.";
                return Refuse(new UserOperationResult(UserOperationOutcome.Denied, lastOwner), operation, actor, user.Id, lastOwner, request);
            }

            var email = user.Email; // before the change: a removed user's entity is detached
            var outcome = await change(db, user, actor, ct);
            var result = new UserOperationResult(outcome.Outcome, outcome.Message);
            return outcome.Outcome switch
            {
                UserOperationOutcome.Succeeded => (result, [Event(operation, AuditVocabulary.Success, actor, user.Id, Prepend("email", email, outcome.Details))]),
                UserOperationOutcome.Denied => Refuse(result, operation, actor, user.Id, outcome.Message, Prepend("email", email, outcome.Details)),
                _ => (result, None),
            };
        }, cancellationToken);

        if (result.Succeeded && revokeSessions)
        {
            revocations.Revoke(userId);
        }

        return result;
    }

    /// <summary>For mutations that only touch the user row.</summary>
    private Task<UserOperationResult> RunAsync(UserOperator by, UserOperation operation, Guid userId, AdminRole? newRole,
        Func<AdminUser, Change> change, bool revokeSessions, CancellationToken cancellationToken) =>
        RunAsync(by, operation, userId, newRole, (_, user, _, _) => Task.FromResult(change(user)), revokeSessions, cancellationToken);

    private async Task<Dictionary<Product, SeatCapacity>> SeatsAsync(IEnumerable<Product> products, CancellationToken cancellationToken)
    {
        var seats = new Dictionary<Product, SeatCapacity>();
        foreach (var product in products)
        {
            seats[product] = await CapacityAsync(product, cancellationToken);
        }

        return seats;
    }

    private async Task<SeatCapacity> CapacityAsync(Product product, CancellationToken cancellationToken)
    {
        var seats = await licenseSeats.GetSeatsAsync(product, cancellationToken);
        return new SeatCapacity(seats, seats is null ? await licenseSeats.GetUnavailableReasonAsync(product, cancellationToken) : null);
    }

    /// <summary>Inside the lock: <paramref name="seats"/> holds the seats as the license row reads in this transaction.</summary>
    private static async Task<string?> SeatRefusalAsync(AdminDbContext db, Product product, SeatCapacity seats, CancellationToken ct)
    {
        if (seats.Seats is not { } capacity)
        {
            return seats.Unavailable ?? $"No license is installed for {product.DisplayName()}, so no seats can be granted.";
        }

        var inUse = await db.ProductAccess.CountAsync(a => a.Product == product, ct);
        return inUse >= capacity ? $"All {capacity} seats of {product.DisplayName()} are in use." : null;
    }

    private static async Task<List<Product>> ProductsOfAsync(AdminDbContext db, Guid userId, CancellationToken ct) =>
        (await db.ProductAccess.AsNoTracking().Where(a => a.UserId == userId).Select(a => a.Product).ToListAsync(ct)).Order().ToList();

    private static ProductAccess NewAccess(Guid userId, Product product, Operator actor, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(),
        UserId = userId,
        Product = product,
        GrantedAt = now.UtcDateTime,
        GrantedBy = actor.GrantedBy,
    };

    /// <summary>The operator as the store knows them now. A console user who no longer exists is refused by <see cref="Operator.Authorize"/>.</summary>
    private static async Task<Operator> LoadOperatorAsync(AdminDbContext db, UserOperator by, CancellationToken ct)
    {
        if (by.IsHostCli)
        {
            return new Operator(by, null, AuditActor.Cli);
        }

        var id = by.UserId!.Value;
        var row = await db.Users.AsNoTracking().Where(u => u.Id == id)
            .Select(u => new { u.Id, u.Role, u.Status, u.DisplayName, u.Email }).SingleOrDefaultAsync(ct);
        var name = row is null ? "" : StoredOperator.AuditText(string.IsNullOrEmpty(row.DisplayName) ? row.Email : row.DisplayName);
        return new Operator(by, row is null ? null : new UserRules.Subject(row.Id, row.Role, row.Status), AuditActor.User(id.ToString(), name));
    }

    private static (TResult, IReadOnlyList<AuditEvent>) Refuse<TResult>(TResult result, UserOperation operation, Operator actor, Guid? targetId, string reason, JsonObject details)
    {
        details["reason"] = reason;
        return (result, [Event(operation, AuditVocabulary.Denied, actor, targetId, details)]);
    }

    private static AuditEvent Event(UserOperation operation, string outcome, Operator actor, Guid? targetId, JsonObject details) => new()
    {
        Category = "users",
        Action = operation.AuditAction(),
        Outcome = outcome,
        Actor = actor.Audit,
        TargetType = "user",
        TargetId = targetId?.ToString() ?? "",
        Details = details,
    };

    private static JsonObject Snapshot(AdminUser user, IReadOnlyList<Product> products) => Obj(
        ("email", user.Email),
        ("displayName", user.DisplayName),
        ("role", user.Role.ToString()),
        ("status", user.Status.ToString()),
        ("products", Ids(products)));

    private static JsonObject StatusChange(AdminUserStatus before, AdminUserStatus after) =>
        Details(("before", Obj(("status", before.ToString()))), ("after", Obj(("status", after.ToString()))));

    private static string[] Ids(IEnumerable<Product> products) => [.. products.Order().Select(p => p.Id())];

    private static JsonObject Details(params (string Key, object? Value)[] pairs) => AuditDetails.Of(pairs);

    private static JsonObject Obj(params (string Key, object? Value)[] pairs) => AuditDetails.Of(pairs);

    private static string NameOf(AdminUser user) => string.IsNullOrWhiteSpace(user.DisplayName) ? user.Email ?? user.UserName ?? "The user" : user.DisplayName;

    private static string Article(AdminRole role) => role is AdminRole.Owner or AdminRole.Administrator or AdminRole.Auditor ? "an" : "a";

    private static string NewStamp() => Guid.NewGuid().ToString("N");

    private static readonly IReadOnlyList<AuditEvent> None = [];

    private static Change Done(string message, JsonObject details) => new(UserOperationOutcome.Succeeded, message, details);

    private static Change Unchanged(string message) => new(UserOperationOutcome.Unchanged, message, new JsonObject());

    private static Change Refused(string message, JsonObject details) => new(UserOperationOutcome.Denied, message, details);

    private static JsonObject Prepend(string key, string? value, JsonObject rest)
    {
        var details = new JsonObject { [key] = value };
        foreach (var (name, node) in rest.ToList())
        {
            rest.Remove(name); // a node has one parent
            details[name] = node;
        }

        return details;
    }

    /// <summary>What a mutation reports back to <see cref="RunAsync"/>.</summary>
    private sealed record Change(UserOperationOutcome Outcome, string Message, JsonObject Details);

    private sealed record Operator(UserOperator By, UserRules.Subject? Subject, AuditActor Audit)
    {
        /// <summary>Who granted a seat, as recorded on the row.</summary>
        public string GrantedBy => By.IsHostCli ? "cli" : By.UserId!.Value.ToString();

        /// <summary>The host CLI is not subject to the permission matrix (see <see cref="UserOperator.HostCli"/>).</summary>
        public string? Authorize(UserOperation operation, UserRules.Subject? target, AdminRole? newRole) =>
            By.IsHostCli ? null
            : Subject is null ? "Your account no longer exists."
            : UserRules.Authorize(Subject, operation, target, newRole);
    }
}

/// <summary>A product's seats as the license reports them before the lock is taken; <see cref="Unavailable"/> says why there are none.</summary>
internal sealed record SeatCapacity(int? Seats, string? Unavailable);
