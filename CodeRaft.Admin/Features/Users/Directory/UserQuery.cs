namespace CodeRaft.Admin.Features.Users.Directory;

/// <summary>Columns the Users page sorts by.</summary>
public enum UserSort
{
    Name,
    Email,
    Role,
    Status,
    Created,
    LastSignIn,
}

/// <summary>
/// One page of the user directory. Every value is a plain parameter; the search text is matched literally
/// (LIKE wildcards escaped), case-insensitively, as a substring of display name, e-mail or user name.
/// Values out of range are tolerated, never an error: the page index and size are clamped, an unknown enum
/// value matches nothing.
/// </summary>
public sealed record UserQuery
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 100;

    /// <summary>
    /// Longer searches cannot be a substring of anything stored: names and e-mail addresses hold at most 256
    /// characters, which is at most 512 UTF-16 code units.
    /// </summary>
    public const int MaxSearchLength = 512;

    public string? Search { get; init; }
    public AdminRole? Role { get; init; }
    public AdminUserStatus? Status { get; init; }
    public Product? Product { get; init; }

    /// <summary>True: only users with an activated TOTP authenticator; false: only those without.</summary>
    public bool? MfaEnrolled { get; init; }

    public UserSort Sort { get; init; } = UserSort.Name;
    public bool Descending { get; init; }

    /// <summary>Zero-based.</summary>
    public int PageIndex { get; init; }

    public int PageSize { get; init; } = DefaultPageSize;
}

/// <summary>One row of the Users grid: only what the grid shows (no secrets, no hashes).</summary>
public sealed record UserRow(
    Guid Id,
    string DisplayName,
    string Email,
    string UserName,
    AdminRole Role,
    AdminUserStatus Status,
    bool MfaEnrolled,
    IReadOnlyList<Product> Products,
    DateTime? LastSignInAt,
    DateTime CreatedAt);

/// <summary>A page of rows and the number of users that match the query on all pages.</summary>
public sealed record UserPage(IReadOnlyList<UserRow> Rows, int TotalCount, int PageIndex, int PageSize)
{
    public static UserPage Empty(int pageIndex, int pageSize) => new([], 0, pageIndex, pageSize);
}

/// <summary>Everything the detail drawer shows about one user.</summary>
/// <param name="ExternalIssuer">The OIDC issuer the account is bound to; empty for a local account.</param>
/// <param name="SignIns">The user's last authentication entries (category auth), newest first.</param>
/// <param name="RecentActivity">The last entries the user did or was the target of, newest first.</param>
/// <param name="ApiKeys">The API keys the user created, newest first.</param>
public sealed record UserDetail(
    UserRow User,
    string ExternalIssuer,
    UserMfaStatus Mfa,
    IReadOnlyList<ProductGrant> Products,
    IReadOnlyList<UserAuditLine> SignIns,
    IReadOnlyList<UserAuditLine> RecentActivity,
    IReadOnlyList<UserApiKeySummary> ApiKeys);

/// <param name="EnrolledAt">When the TOTP authenticator was activated; null = not enrolled.</param>
/// <param name="LockedUntil">Set only while codes are locked out after too many wrong ones.</param>
/// <param name="RecoveryCodesRemaining">Unused recovery codes (the codes themselves are never readable).</param>
public sealed record UserMfaStatus(DateTime? EnrolledAt, DateTime? LockedUntil, int RecoveryCodesRemaining)
{
    public bool Enrolled => EnrolledAt is not null;
}

/// <summary>One product seat of the user.</summary>
public sealed record ProductGrant(Product Product, DateTime GrantedAt, string GrantedBy);

/// <summary>An audit entry as the drawer lists it; the full entry (details, hashes) is one click away in the audit log.</summary>
public sealed record UserAuditLine(
    long Sequence,
    string Timestamp,
    string Category,
    string Action,
    string Outcome,
    string ActorType,
    string ActorId,
    string ActorName,
    string SourceIp,
    string TargetType,
    string TargetId);

/// <summary>
/// An API key the user created, as the drawer lists it; <see cref="Prefix"/> is its identifier (the first 12
/// characters, as the API keys page shows it). Never carries the key or its hash.
/// </summary>
public sealed record UserApiKeySummary(Guid Id, string Name, string Prefix, DateTime CreatedAt, DateTime ExpiresAt, DateTime? LastUsedAt, DateTime? RevokedAt);
