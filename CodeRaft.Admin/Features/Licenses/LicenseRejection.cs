namespace CodeRaft.Admin.Features.Licenses;

/// <summary>Why a license key is refused (CONTRACTS §7). The code is what the audit entry and the CLI carry.</summary>
public enum LicenseRejectionReason
{
    Malformed,
    BadSignature,
    UntrustedKey,
    UnknownVersion,
    UnknownProduct,
    OtherOrganization,
    NotYetValid,
    Expired,
}

/// <summary>A refusal: the machine-readable reason and one sentence a person understands.</summary>
public sealed record LicenseRejection(LicenseRejectionReason Reason, string Message)
{
    /// <summary>The reason as written into audit details and printed by the CLI (snake_case, stable).</summary>
    public string Code => Reason switch
    {
        LicenseRejectionReason.Malformed => "malformed",
        LicenseRejectionReason.BadSignature => "bad_signature",
        LicenseRejectionReason.UntrustedKey => "untrusted_key",
        LicenseRejectionReason.UnknownVersion => "unknown_version",
        LicenseRejectionReason.UnknownProduct => "unknown_product",
        LicenseRejectionReason.OtherOrganization => "other_organization",
        LicenseRejectionReason.NotYetValid => "not_yet_valid",
        LicenseRejectionReason.Expired => "expired",
        _ => "malformed",
    };

    public static LicenseRejection Malformed(string message) => new(LicenseRejectionReason.Malformed, message);
}
