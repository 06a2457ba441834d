using System.Text.Json.Nodes;

namespace ParameterSaliency.Tests;

/// <summary>What the notebook tests read from an executed notebook: its size and its exercise verdicts.</summary>
internal static class ExecutedNotebooks
{
    /// <summary>The most an executed notebook may weigh: VS Code and GitHub open it, a workshop hands it out.</summary>
    public const long MaxBytes = 2 * 1024 * 1024;

    public static void AssertLight(string executed)
    {
        long bytes = new FileInfo(executed).Length;
        Assert.True(bytes <= MaxBytes, $"{Path.GetFileName(executed)} weighs {bytes:N0} bytes executed; at most {MaxBytes:N0}. Largest outputs: {string.Join("; ", LargestOutputs(executed))}");
    }

    /// <summary>The text/plain of every exercise verdict in the executed notebook, in order.</summary>
    public static IReadOnlyList<string> Verdicts(string executed) =>
        Outputs(executed).Select(o => Text(o["data"]?["text/plain"])).Where(t => t is not null && (t.Contains(": right.") || t.Contains(": not quite.") || t.Contains(": not yet."))).Select(t => t!).ToArray();

    /// <summary>How many check cells the notebook source has.</summary>
    public static int Checks(string source) =>
        Cells(source).Count(c => c!["cell_type"]!.GetValue<string>() == "code" && Text(c["source"])!.Contains("Exercise.Check(", StringComparison.Ordinal));

    static IEnumerable<string> LargestOutputs(string executed) =>
        Cells(executed).SelectMany((cell, i) => (cell!["outputs"] as JsonArray ?? []).SelectMany(o => (o!["data"] as JsonObject ?? []).Select(d => (i, d.Key, Length: d.Value!.ToJsonString().Length))))
            .OrderByDescending(o => o.Length).Take(3).Select(o => $"cell {o.i} {o.Key} {o.Length:N0} characters");

    static IEnumerable<JsonNode> Outputs(string executed) => Cells(executed).SelectMany(c => (c!["outputs"] as JsonArray ?? []).Select(o => o!));

    static JsonArray Cells(string path) => JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray();

    /// <summary>nbformat keeps text as a string or a list of lines.</summary>
    static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonArray lines => string.Concat(lines.Select(line => line!.GetValue<string>())),
        _ => node.GetValue<string>(),
    };

    /// <summary>The runner's lines about <paramref name="notebook"/> when it ran several: from its "Running .../notebook" line to the next notebook's.</summary>
    public static string RunnerSection(string stdout, string notebook)
    {
        string[] lines = stdout.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("Running ", StringComparison.Ordinal) && l.TrimEnd().EndsWith("/" + notebook, StringComparison.Ordinal));
        if (start < 0) return "";
        int end = Array.FindIndex(lines, start + 1, l => l.StartsWith("Running ", StringComparison.Ordinal));
        return string.Join('\n', lines[start..(end < 0 ? lines.Length : end)]);
    }
}
