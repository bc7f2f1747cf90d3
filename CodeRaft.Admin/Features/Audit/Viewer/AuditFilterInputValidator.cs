using CodeRaft.Admin.Features.Audit.Chain;
using FluentValidation;

namespace CodeRaft.Admin.Features.Audit.Viewer;

/// <summary>
/// Checks the audit filter before it reaches the query. Filter text is matched literally (parameters, escaped
/// LIKE patterns), so any character is allowed; only lengths, the closed vocabularies and the time range are
/// checked. <see cref="ValidateValue"/> plugs it into a MudForm.
/// </summary>
public sealed class AuditFilterInputValidator : AbstractValidator<AuditFilterInput>
{
    public AuditFilterInputValidator()
    {
        RuleFor(x => x.From).MaximumLength(AuditFilterInput.MaxLength)
            .Must(BeTimeOrEmpty).WithMessage("From must be a UTC date and time such as 2026-03-01T14:30.");
        RuleFor(x => x.To).MaximumLength(AuditFilterInput.MaxLength)
            .Must(BeTimeOrEmpty).WithMessage("To must be a UTC date and time such as 2026-03-01T14:30.")
            .Must((input, to) => !(AuditFilterInput.ParseTime(input.From) is { } from && AuditFilterInput.ParseTime(to) is { } until && from.Start > until.End))
            .WithMessage("To must not be before From.");
        RuleFor(x => x.Product).Must(p => string.IsNullOrWhiteSpace(p) || AuditVocabulary.Products.Contains(p.Trim()))
            .WithMessage($"Product must be one of {string.Join(", ", AuditVocabulary.Products)}.");
        RuleFor(x => x.Outcome).Must(o => string.IsNullOrWhiteSpace(o) || AuditVocabulary.Outcomes.Contains(o.Trim()))
            .WithMessage("Outcome must be success, failure or denied.");
        RuleFor(x => x.Category).MaximumLength(AuditFilterInput.MaxLength);
        RuleFor(x => x.Action).MaximumLength(AuditFilterInput.MaxLength);
        RuleFor(x => x.Actor).MaximumLength(AuditFilterInput.MaxLength);
        RuleFor(x => x.Target).MaximumLength(AuditFilterInput.MaxLength);
        RuleFor(x => x.Text).MaximumLength(AuditFilterInput.MaxLength);
    }

    /// <summary>MudForm's field validation: the messages for one property of the model.</summary>
    public Func<object, string, Task<IEnumerable<string>>> ValidateValue => async (model, propertyName) =>
    {
        var result = await ValidateAsync(ValidationContext<AuditFilterInput>.CreateWithOptions(
            (AuditFilterInput)model, options => options.IncludeProperties(propertyName)));
        return result.IsValid ? [] : result.Errors.Select(e => e.ErrorMessage);
    };

    private static bool BeTimeOrEmpty(string? value) => string.IsNullOrWhiteSpace(value) || AuditFilterInput.ParseTime(value) is not null;
}
