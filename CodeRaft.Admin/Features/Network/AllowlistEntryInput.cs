using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Network;
using FluentValidation;

namespace CodeRaft.Admin.Features.Network;

/// <summary>One row as typed on the Network page or given to <c>network allowlist add</c>.</summary>
public sealed class AllowlistEntryInput
{
    public string? Cidr { get; set; }

    public string? Description { get; set; }
}

public sealed class AllowlistEntryInputValidator : AbstractValidator<AllowlistEntryInput>
{
    public const int MaxDescriptionLength = 200;

    public AllowlistEntryInputValidator()
    {
        RuleFor(x => x.Cidr).Custom((cidr, context) =>
        {
            if (!CidrText.TryParse(cidr, out _, out var error))
            {
                context.AddFailure(nameof(AllowlistEntryInput.Cidr), error);
            }
        });

        RuleFor(x => (x.Description ?? "").Trim())
            .Cascade(CascadeMode.Stop)
            .MaximumLength(MaxDescriptionLength).OverridePropertyName(nameof(AllowlistEntryInput.Description))
            .WithMessage($"The description must be at most {MaxDescriptionLength} characters long.")
            .Must(d => d.Length == 0 || InviteUserInputValidator.IsCleanText(d))
            .WithMessage("The description must not contain control characters or text-direction overrides.");
    }
}

/// <summary>A whole list as saved from the Network page: each entry valid, none listed twice, at most <see cref="MaxEntries"/>.</summary>
public sealed class AllowlistInputValidator : AbstractValidator<IReadOnlyList<AllowlistEntryInput>>
{
    public const int MaxEntries = 5_000;

    public AllowlistInputValidator()
    {
        RuleFor(x => x.Count).LessThanOrEqualTo(MaxEntries).OverridePropertyName("Entries")
            .WithMessage($"A list holds at most {MaxEntries:N0} entries.");
        RuleForEach(x => x).SetValidator(new AllowlistEntryInputValidator()).OverridePropertyName("Entries");
        RuleFor(x => x).Custom((entries, context) =>
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (CidrText.TryParse(entry.Cidr, out var network, out _) && !seen.Add(network.ToString()!))
                {
                    context.AddFailure("Entries", $"{network} is listed twice; remove one of the two.");
                    return;
                }
            }
        });
    }
}
