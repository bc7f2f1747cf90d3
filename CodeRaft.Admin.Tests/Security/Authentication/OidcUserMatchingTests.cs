using CodeRaft.Admin.Features.Users;
using CodeRaft.Admin.Security.Authentication;
using Microsoft.Extensions.Configuration;

namespace CodeRaft.Admin.Tests.Security.Authentication;

public sealed class OidcUserMatchingTests
{
    private const string Issuer = "https://idp.example.test/";
    private static readonly ExternalIdentity Alice = new(Issuer, "sub-alice", "Alice@Example.test", "Alice");

    private static AdminUser User(string email, AdminUserStatus status = AdminUserStatus.Active, string issuer = "", string subject = "") => new()
    {
        Id = Guid.NewGuid(),
        Email = email,
        NormalizedEmail = email.ToUpperInvariant(),
        Status = status,
        ExternalIssuer = issuer,
        ExternalSubject = subject,
    };

    [Fact]
    public void Match_BoundIssuerAndSubject_Matched_EvenWhenTheEmailChanged()
    {
        var bound = User("old-address@example.test", issuer: Issuer, subject: "sub-alice");

        var match = OidcUserMatching.Match([bound], Alice, justInTimeViewers: false);

        Assert.Equal(OidcMatchOutcome.Matched, match.Outcome);
        Assert.Same(bound, match.User);
    }

    [Fact]
    public void Match_SameSubjectFromAnotherIssuer_NotMatched()
    {
        var other = User("someone@example.test", issuer: "https://other.example.test/", subject: "sub-alice");

        Assert.Equal(OidcMatchOutcome.RefusedUnknown, OidcUserMatching.Match([other], Alice, justInTimeViewers: false).Outcome);
    }

    [Theory]
    [InlineData(AdminUserStatus.Invited)]
    [InlineData(AdminUserStatus.Active)]
    public void Match_InvitedOrActiveByEmailCaseInsensitive_WithoutExternalIdentity_Bind(AdminUserStatus status)
    {
        var invited = User("alice@example.TEST", status);

        var match = OidcUserMatching.Match([invited], Alice, justInTimeViewers: false);

        Assert.Equal(OidcMatchOutcome.Bind, match.Outcome);
        Assert.Same(invited, match.User);
    }

    [Fact]
    public void Match_EmailOfAUserBoundToAnotherIdentity_Refused()
    {
        var taken = User("alice@example.test", issuer: Issuer, subject: "sub-someone-else");

        var match = OidcUserMatching.Match([taken], Alice, justInTimeViewers: true);

        Assert.Equal(OidcMatchOutcome.RefusedUnknown, match.Outcome);
        Assert.Null(match.User);
    }

    [Fact]
    public void Match_UnverifiedEmail_NeverBinds()
    {
        var invited = User("alice@example.test", AdminUserStatus.Invited);

        var match = OidcUserMatching.Match([invited], Alice with { EmailVerified = false }, justInTimeViewers: false);

        Assert.Equal(OidcMatchOutcome.RefusedUnknown, match.Outcome);
    }

    [Fact]
    public void Match_Disabled_RefusedWhetherBoundOrByEmail()
    {
        Assert.Equal(OidcMatchOutcome.RefusedDisabled,
            OidcUserMatching.Match([User("x@example.test", AdminUserStatus.Disabled, Issuer, "sub-alice")], Alice, justInTimeViewers: true).Outcome);
        Assert.Equal(OidcMatchOutcome.RefusedDisabled,
            OidcUserMatching.Match([User("alice@example.test", AdminUserStatus.Disabled)], Alice, justInTimeViewers: true).Outcome);
    }

    [Fact]
    public void Match_Unknown_RefusedUnlessJustInTimeViewersIsOn()
    {
        Assert.Equal(OidcMatchOutcome.RefusedUnknown, OidcUserMatching.Match([], Alice, justInTimeViewers: false).Outcome);
        Assert.Equal(OidcMatchOutcome.CreateViewer, OidcUserMatching.Match([], Alice, justInTimeViewers: true).Outcome);
    }

    [Fact]
    public void Match_NoSubject_Refused()
    {
        Assert.Equal(OidcMatchOutcome.RefusedUnknown,
            OidcUserMatching.Match([User("alice@example.test")], Alice with { Subject = "" }, justInTimeViewers: true).Outcome);
    }

    [Theory]
    [InlineData(null, AuthenticationMode.Local)]
    [InlineData("", AuthenticationMode.Local)]
    [InlineData("local", AuthenticationMode.Local)]
    [InlineData("Oidc", AuthenticationMode.Oidc)]
    [InlineData(" entraid ", AuthenticationMode.EntraId)]
    public void ReadMode_KnownValues(string? value, AuthenticationMode expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Mode"] = value }).Build();

        Assert.Equal(expected, OidcAuthentication.ReadMode(configuration));
    }

    [Fact]
    public void ReadMode_UnknownValue_StopsStartWithOneSentence()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Authentication:Mode"] = "Saml" }).Build();

        var error = Assert.Throws<CodeRaft.Admin.Infrastructure.Hosting.AdminStartupException>(() => OidcAuthentication.ReadMode(configuration));
        Assert.Contains("Local, EntraId, Oidc", error.Message, StringComparison.Ordinal);
    }
}
