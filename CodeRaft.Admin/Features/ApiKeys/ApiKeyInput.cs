using CodeRaft.Admin.Features.Users;
using FluentValidation;

namespace CodeRaft.Admin.Features.ApiKeys;

/// <summary>What creating a key takes (the console's dialog and <c>apikey create</c>).</summary>
public sealed class ApiKeyInput
{
    public string? Name { get; set; }

    public IReadOnlyCollection<string> Scopes { get; set; } = [];

    public int ExpiresInDays { get; set; } = ApiKeyInputValidator.DefaultExpiryDays;

    public int RateLimitPerMinute { get; set; } = ApiKeyInputValidator.DefaultRateLimitPerMinute;
}

/// <summary>CONTRACTS §5 limits. <see cref="ApiKeyManagementCore"/> runs it before writing; the UI may run it for field messages.</summary>
public sealed class ApiKeyInputValidator : AbstractValidator<ApiKeyInput>
{
    public const int MaxNameLength = 100;
    public const int DefaultExpiryDays = 90;
    public const int MaxExpiryDays = 365;
    public const int DefaultRateLimitPerMinute = 600;
    public const int MaxRateLimitPerMinute = 100_000;

    public ApiKeyInputValidator()
    {
        RuleFor(x => Trimmed(x.Name))
            .Cascade(CascadeMode.Stop)
            .NotEmpty().OverridePropertyName(nameof(ApiKeyInput.Name)).WithMessage("Enter a name for the key, such as the system that will use it.")
            .MaximumLength(MaxNameLength).WithMessage($"The name must be at most {MaxNameLength} characters long.")
            .Must(InviteUserInputValidator.IsCleanText).WithMessage("The name must not contain control characters or text-direction overrides.");

        RuleFor(x => x.Scopes)
            .Cascade(CascadeMode.Stop)
            .NotNull().WithMessage("Choose at least one scope.")
            .Must(s => s.Count > 0).WithMessage("Choose at least one scope.")
            .Must(s => s.All(ApiKeyScopes.All.Contains)).WithMessage($"Scopes must be chosen from {string.Join(", ", ApiKeyScopes.All)}.");

        RuleFor(x => x.ExpiresInDays).InclusiveBetween(1, MaxExpiryDays)
            .WithMessage($"The key must expire in 1 to {MaxExpiryDays} days.");

        RuleFor(x => x.RateLimitPerMinute).InclusiveBetween(1, MaxRateLimitPerMinute)
            .WithMessage("The rate limit must be 1 to 100,000 requests per minute.");
    }

    internal static string Trimmed(string? value) => value?.Trim() ?? "";
}
