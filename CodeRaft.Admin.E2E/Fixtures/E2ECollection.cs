namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>All browser tests share one portal and one browser; xunit runs a collection's tests one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class E2ECollection : ICollectionFixture<AdminAppFixture>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "E2E";
}
