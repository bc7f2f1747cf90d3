using CodeRaft.Admin.Features.Setup;
using CodeRaft.Admin.Infrastructure.Data;
using FluentValidation;
using Microsoft.EntityFrameworkCore;

namespace CodeRaft.Admin.Features.Users;

/// <summary>The invite dialog (and <c>users invite</c>): who, optionally their name, the role, the products.</summary>
public sealed class InviteUserInput
{
    /// <summary>E-mail address or user principal name (UPN), e.g. <c>jane@contoso.com</c>.</summary>
    public string? Email { get; set; }

    /// <summary>Optional; OIDC modes fill an empty name from the provider at the first sign-in.</summary>
    public string? DisplayName { get; set; }

    public AdminRole Role { get; set; } = AdminRole.Viewer;

    /// <summary>Products to grant at once; each takes a seat of that product's license.</summary>
    public IReadOnlyCollection<Product> Products { get; set; } = [];
}

/// <summary>
/// Checks an invitation. The dialog uses it for field messages (call <c>ValidateAsync</c>: the duplicate check reads
/// the store); <see cref="UserManagementCore"/> runs it again and repeats the duplicate check inside its transaction.
/// Values are judged after trimming surrounding whitespace, as they are stored.
/// </summary>
public sealed class InviteUserInputValidator : AbstractValidator<InviteUserInput>
{
    public const int MaxEmailLength = 256;
    public const int MaxDisplayNameLength = 256;

    public const string DuplicateMessage = "A user with this e-mail address or user name already exists.";

    public InviteUserInputValidator(IDbContextFactory<AdminDbContext> contexts)
    {
        RuleFor(x => Trimmed(x.Email))
            .Cascade(CascadeMode.Stop)
            .NotEmpty().OverridePropertyName(nameof(InviteUserInput.Email)).WithMessage("Enter the e-mail address or user principal name (UPN) of the person to invite.")
            .MaximumLength(MaxEmailLength).WithMessage($"The e-mail address must be at most {MaxEmailLength} characters long.")
            .Must(IsAddress).WithMessage("Enter a valid e-mail address or user principal name, such as jane@contoso.com (letters, digits and punctuation of plain ASCII).")
            .MustAsync(async (email, ct) => !await ExistsAsync(contexts, email, ct)).WithMessage(DuplicateMessage);

        RuleFor(x => Trimmed(x.DisplayName))
            .Cascade(CascadeMode.Stop)
            .MaximumLength(MaxDisplayNameLength).OverridePropertyName(nameof(InviteUserInput.DisplayName))
            .WithMessage($"The name must be at most {MaxDisplayNameLength} characters long.")
            .Must(IsCleanText).WithMessage("The name must not contain control characters or text-direction overrides.");

        RuleFor(x => x.Role).IsInEnum().WithMessage("Choose one of the roles Owner, Administrator, Auditor or Viewer.");

        RuleFor(x => x.Products).NotNull().WithMessage("Choose the products, or none.");
        RuleForEach(x => x.Products).IsInEnum().WithMessage("Choose products from EntraGuard, Ravenscan and RedFox Bastion.");
    }

    internal static string Trimmed(string? value) => value?.Trim() ?? "";

    /// <summary>
    /// An e-mail address or UPN: local@domain, printable ASCII only (a look-alike from another script, or the same
    /// letters in another Unicode normalization, would otherwise be a second account that reads the same; Entra UPNs
    /// are ASCII anyway; an internationalized domain is written in its xn-- form).
    /// </summary>
    internal static bool IsAddress(string value) =>
        value.All(c => c is > ' ' and < '\u007f') && FirstOwnerInputValidator.IsEmailAddress(value);

    /// <summary>Displayable on one line: no control characters, no bidirectional overrides, no broken UTF-16.</summary>
    internal static bool IsCleanText(string value) =>
        FirstOwnerInputValidator.HasNoControlCharacters(value) && CodeRaft.Admin.Infrastructure.Text.UnicodeText.IsWellFormedUtf16(value);

    internal static Task<bool> ExistsAsync(AdminDbContext db, string email, CancellationToken cancellationToken)
    {
        var normalized = email.ToUpperInvariant();
        return db.Users.AnyAsync(u => u.NormalizedEmail == normalized || u.NormalizedUserName == normalized, cancellationToken);
    }

    private static async Task<bool> ExistsAsync(IDbContextFactory<AdminDbContext> contexts, string email, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await ExistsAsync(db, email, cancellationToken);
    }
}
