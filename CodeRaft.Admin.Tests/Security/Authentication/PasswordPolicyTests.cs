using CodeRaft.Admin.Security.Authentication;

namespace CodeRaft.Admin.Tests.Security.Authentication;

public sealed class PasswordPolicyTests
{
    private readonly PasswordPolicy _policy = new();

    [Fact]
    public void Check_ElevenCharacters_RefusedWithOneSentence()
    {
        Assert.Equal([PasswordPolicy.TooShortMessage], _policy.Check("Tq8#vLm2!pZ"));
    }

    [Fact]
    public void Check_TwelveCharacters_Accepted()
    {
        Assert.Empty(_policy.Check("Tq8#vLm2!pZw"));
    }

    [Fact]
    public void Check_NullOrEmpty_AsksForAPassword()
    {
        Assert.Equal([PasswordPolicy.EmptyMessage], _policy.Check(null));
        Assert.Equal([PasswordPolicy.EmptyMessage], _policy.Check(""));
    }

    [Fact]
    public void Check_OverMaximum_Refused()
    {
        Assert.Empty(_policy.Check(new string('x', 255) + "y"));
        Assert.Equal([PasswordPolicy.TooLongMessage], _policy.Check(new string('x', 256) + "y"));
        Assert.Equal([PasswordPolicy.TooLongMessage], _policy.Check(new string('x', 100_000)));
    }

    [Theory]
    [InlineData("password1234")]
    [InlineData("PASSWORD1234")]
    [InlineData("PassWord1234")]
    [InlineData("QwertyUIOP123")]
    public void Check_ListedCommonPasswordInAnyCase_Refused(string password)
    {
        Assert.Equal([PasswordPolicy.CommonMessage], _policy.Check(password));
    }

    [Fact]
    public void CommonPasswordList_Embedded_HoldsOnlyEntriesThePolicyCouldOtherwiseAccept()
    {
        Assert.Equal(308, PasswordPolicy.CommonPasswordCount);
    }

    [Theory]
    [InlineData("Alice.Longname@example.test", "alice.longname@example.test")]
    [InlineData("ALICE.LONGNAME", "alice.longname@example.test")]
    public void Check_EmailOrItsLocalPart_Refused(string password, string email)
    {
        Assert.Equal([PasswordPolicy.EmailMessage], _policy.Check(password, email));
    }

    [Fact]
    public void Check_EmailContainedButNotEqual_Accepted()
    {
        Assert.Empty(_policy.Check("alice.longname rides a bike", "alice.longname@example.test"));
    }

    [Fact]
    public void Check_EmojiAndCombiningCharacters_CountedAsTextElements()
    {
        // 11 family emoji (each one text element of 11 UTF-16 units) are 11 characters, not 121.
        var family = "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466";
        Assert.Equal([PasswordPolicy.TooShortMessage], _policy.Check(string.Concat(Enumerable.Repeat(family, 11))));
        Assert.Empty(_policy.Check(string.Concat(Enumerable.Repeat(family, 12))));

        // "e" + combining acute accent is one character as the user sees it.
        var accented = "e\u0301";
        Assert.Equal([PasswordPolicy.TooShortMessage], _policy.Check(string.Concat(Enumerable.Repeat(accented, 11))));
        Assert.Empty(_policy.Check(string.Concat(Enumerable.Repeat(accented, 12))));
    }
}
