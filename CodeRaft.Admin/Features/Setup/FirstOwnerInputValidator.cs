using System.Net.Mail;
using CodeRaft.Admin.Security.Authentication;
using FluentValidation;

namespace CodeRaft.Admin.Features.Setup;

/// <summary>
/// Checks the /setup form; the form uses it for field messages and <see cref="FirstOwnerService"/> runs it again
/// before writing. E-mail and display name are judged after trimming, as they are stored.
/// </summary>
public sealed class FirstOwnerInputValidator : AbstractValidator<FirstOwnerInput>
{
    public const int MaxEmailLength = 254;
    public const int MaxDisplayNameLength = 256;

    public FirstOwnerInputValidator(PasswordPolicy passwordPolicy)
    {
        RuleFor(x => x.SetupToken).Must(t => !string.IsNullOrWhiteSpace(t))
            .WithMessage("Enter the setup token shown on the server console.");

        RuleFor(x => Trimmed(x.Email))
            .Cascade(CascadeMode.Stop)
            .NotEmpty().OverridePropertyName(nameof(FirstOwnerInput.Email)).WithMessage("Enter your e-mail address.")
            .MaximumLength(MaxEmailLength).WithMessage($"The e-mail address must be at most {MaxEmailLength} characters long.")
            .Must(IsEmailAddress).WithMessage("Enter a valid e-mail address, such as name@example.com.");

        RuleFor(x => Trimmed(x.DisplayName))
            .Cascade(CascadeMode.Stop)
            .NotEmpty().OverridePropertyName(nameof(FirstOwnerInput.DisplayName)).WithMessage("Enter your name as other administrators should see it.")
            .MaximumLength(MaxDisplayNameLength).WithMessage($"The name must be at most {MaxDisplayNameLength} characters long.")
            .Must(HasNoControlCharacters).WithMessage("The name must not contain control characters.");

        RuleFor(x => x.Password).Custom((password, context) =>
        {
            foreach (var error in passwordPolicy.Check(password, Trimmed(context.InstanceToValidate.Email)))
            {
                context.AddFailure(nameof(FirstOwnerInput.Password), error);
            }
        });
    }

    internal static string Trimmed(string? value) => value?.Trim() ?? "";

    /// <summary>A plain address (no display name, comments or whitespace) that <see cref="MailAddress"/> parses back unchanged.</summary>
    internal static bool IsEmailAddress(string value) =>
        !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or '(' or ')' or ',' or ';' or '"')
        && value.IndexOf('@', StringComparison.Ordinal) > 0
        && MailAddress.TryCreate(value, out var address)
        && address.Address == value
        && address.DisplayName.Length == 0;

    /// <summary>No C0/C1 controls and no bidirectional overrides or isolates, which could disguise a name in lists and logs.</summary>
    internal static bool HasNoControlCharacters(string value) =>
        !value.Any(c => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069');
}
