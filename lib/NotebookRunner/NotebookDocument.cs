using System.Text.Json.Nodes;

namespace NotebookRunner;

/// <summary>An .ipynb file as JSON: its cells in order, with their outputs replaced as they execute.</summary>
internal sealed class NotebookDocument
{
    readonly JsonObject root;

    NotebookDocument(string path, JsonObject root)
    {
        Path = path;
        this.root = root;
    }

    public string Path { get; }

    public JsonArray Cells => root["cells"] as JsonArray ?? throw new InvalidDataException($"{Path}: no 'cells' array.");

    public static NotebookDocument Load(string path)
    {
        var node = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path}: not a JSON object.");
        return new NotebookDocument(path, node);
    }

    public static string CellType(JsonNode cell) => cell["cell_type"]?.GetValue<string>() ?? "";

    /// <summary>The cell's kernel language (csharp unless its metadata names another).</summary>
    public static string Language(JsonNode cell) =>
        cell["metadata"]?["polyglot_notebook"]?["kernelName"]?.GetValue<string>()
        ?? cell["metadata"]?["dotnet_interactive"]?["language"]?.GetValue<string>()
        ?? "csharp";

    public static string Source(JsonNode cell) => cell["source"] switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>() ?? "")),
        JsonValue text => text.GetValue<string>(),
        _ => "",
    };

    /// <summary>The tag of the cell that declares a notebook's parameters, as papermill names it.</summary>
    public const string ParametersTag = "parameters";

    public static bool IsParameterCell(JsonNode cell) =>
        CellType(cell) == "code" && (cell["metadata"]?["tags"] as JsonArray)?.Any(t => t?.GetValue<string>() == ParametersTag) == true;

    /// <summary>The cell the runner inserts after the parameters cell: one assignment per given value, tagged as papermill tags it.</summary>
    public static JsonObject InjectedParameters(IEnumerable<NotebookParameter> parameters) => new()
    {
        ["cell_type"] = "code",
        ["metadata"] = new JsonObject { ["tags"] = new JsonArray("injected-parameters") },
        ["source"] = "// Parameters given to the runner (--parameter)\n" + string.Join("\n", parameters.Select(p => $"{p.Name} = {p.Value};")),
        ["outputs"] = new JsonArray(),
        ["execution_count"] = null,
    };

    public string ToJson() => root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
}
