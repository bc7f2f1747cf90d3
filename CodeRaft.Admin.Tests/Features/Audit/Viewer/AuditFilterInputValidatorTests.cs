using CodeRaft.Admin.Features.Audit.Viewer;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

public sealed class AuditFilterInputValidatorTests
{
    private readonly AuditFilterInputValidator _validator = new();

    [Fact]
    public void Validate_EmptyInput_IsValidAndFiltersNothing()
    {
        var input = new AuditFilterInput();

        Assert.True(_validator.Validate(input).IsValid);
        Assert.Equal(new CodeRaft.Admin.Features.Audit.Viewer.AuditFilter(), input.ToFilter());
    }

    [Fact]
    public void Validate_EveryFieldSet_IsValidAndConverts()
    {
        var input = new AuditFilterInput
        {
            From = "2026-03-01T10:15", To = "2026-03-02", Product = "ravenscan", Category = " auth ", Action = "auth.",
            Outcome = "denied", Actor = "ada", Target = "u-1", Text = "<script>",
        };

        Assert.True(_validator.Validate(input).IsValid);
        var filter = input.ToFilter();
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 10, 15, 0, TimeSpan.Zero), filter.From);
        Assert.Equal(new DateTimeOffset(2026, 3, 2, 23, 59, 59, 999, TimeSpan.Zero), filter.To);
        Assert.Equal("auth", filter.Category);
        Assert.Equal("<script>", filter.Text);
    }

    [Theory]
    [InlineData("2026-03-01T10:15", "2026-03-01T10:15:59.999")]
    [InlineData("2026-03-01T10:15:30", "2026-03-01T10:15:30.999")]
    [InlineData("2026-03-01", "2026-03-01T23:59:59.999")]
    public void ToFilter_To_IncludesTheWholeUnitTyped(string to, string expectedEnd)
    {
        var filter = new AuditFilterInput { To = to }.ToFilter();

        Assert.Equal(DateTimeOffset.Parse(expectedEnd + "Z", System.Globalization.CultureInfo.InvariantCulture), filter.To);
    }

    [Fact]
    public void ToFilter_LastDayOfTheCalendar_EndsAtTheLastInstant()
    {
        Assert.Equal(DateTimeOffset.MaxValue, new AuditFilterInput { To = "9999-12-31" }.ToFilter().To);
    }

    [Fact]
    public void Validate_ToBeforeFrom_IsInvalid()
    {
        var result = _validator.Validate(new AuditFilterInput { From = "2026-03-02T00:00", To = "2026-03-01T23:59" });

        var error = Assert.Single(result.Errors);
        Assert.Equal(nameof(AuditFilterInput.To), error.PropertyName);
        Assert.Equal("To must not be before From.", error.ErrorMessage);
    }

    [Fact]
    public void Validate_FromEqualsTo_IsValid()
    {
        Assert.True(_validator.Validate(new AuditFilterInput { From = "2026-03-01T10:00", To = "2026-03-01T10:00" }).IsValid);
    }

    [Fact]
    public void Validate_HugeRange_IsValid()
    {
        Assert.True(_validator.Validate(new AuditFilterInput { From = "0001-01-01T00:00", To = "9999-12-31T23:59:59" }).IsValid);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("2026-13-01T00:00")]
    [InlineData("2026-02-30")]
    [InlineData("275760-09-13T00:00")]
    [InlineData("2026-03-01T10:00Z")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("2026-03-01T10:00' OR 1=1 --")]
    public void Validate_MalformedTime_IsInvalid(string time)
    {
        var result = _validator.Validate(new AuditFilterInput { From = time, To = time });

        Assert.Contains(result.Errors, e => e.PropertyName == nameof(AuditFilterInput.From));
        Assert.Contains(result.Errors, e => e.PropertyName == nameof(AuditFilterInput.To));
    }

    [Theory]
    [InlineData(nameof(AuditFilterInput.Category))]
    [InlineData(nameof(AuditFilterInput.Action))]
    [InlineData(nameof(AuditFilterInput.Actor))]
    [InlineData(nameof(AuditFilterInput.Target))]
    [InlineData(nameof(AuditFilterInput.Text))]
    public void Validate_TextLongerThan512_IsInvalid(string property)
    {
        var input = new AuditFilterInput();
        typeof(AuditFilterInput).GetProperty(property)!.SetValue(input, new string('x', 513));

        var error = Assert.Single(_validator.Validate(input).Errors);
        Assert.Equal(property, error.PropertyName);

        typeof(AuditFilterInput).GetProperty(property)!.SetValue(input, new string('x', 512));
        Assert.True(_validator.Validate(input).IsValid);
    }

    [Theory]
    [InlineData("Product", "nessus")]
    [InlineData("Product", "admin' OR 1=1 --")]
    [InlineData("Outcome", "ok")]
    [InlineData("Outcome", "<b>denied</b>")]
    public void Validate_OutsideVocabulary_IsInvalid(string property, string value)
    {
        var input = new AuditFilterInput();
        typeof(AuditFilterInput).GetProperty(property)!.SetValue(input, value);

        var error = Assert.Single(_validator.Validate(input).Errors);
        Assert.Equal(property, error.PropertyName);
    }

    [Fact]
    public void Validate_EveryBlnsStringInEveryTextField_NeverThrows()
    {
        foreach (var naughty in BigListOfNaughtyStrings.Load())
        {
            var input = new AuditFilterInput
            {
                From = naughty, To = naughty, Product = naughty, Category = naughty, Action = naughty, Outcome = naughty,
                Actor = naughty, Target = naughty, Text = naughty,
            };

            var result = _validator.Validate(input);

            // Text fields accept anything up to 512 characters; times and vocabularies do not accept junk.
            Assert.DoesNotContain(result.Errors, e => e.PropertyName is "Category" or "Action" or "Actor" or "Target" or "Text");
            Assert.Equal(AuditFilterInput.ParseTime(naughty) is null && !string.IsNullOrWhiteSpace(naughty),
                result.Errors.Any(e => e.PropertyName == "From"));
        }
    }

    [Fact]
    public async Task ValidateValue_OneProperty_ReturnsOnlyItsMessages()
    {
        var input = new AuditFilterInput { From = "nonsense", Outcome = "ok" };

        var fromMessages = await _validator.ValidateValue(input, nameof(AuditFilterInput.From));
        var categoryMessages = await _validator.ValidateValue(input, nameof(AuditFilterInput.Category));

        Assert.Equal(["From must be a UTC date and time such as 2026-03-01T14:30."], fromMessages);
        Assert.Empty(categoryMessages);
    }
}
