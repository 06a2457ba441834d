using System.Text.Json.Nodes;
using Microsoft.DotNet.Interactive.Events;
using Microsoft.DotNet.Interactive.Formatting;

namespace NotebookRunner;

/// <summary>Turns kernel events of one cell into Jupyter outputs; an updated display replaces its earlier value in place.</summary>
internal sealed class CellOutputs
{
    readonly List<(string? ValueId, JsonObject Output)> outputs = [];

    public string? Error { get; private set; }

    public void Add(KernelEvent kernelEvent, int executionCount)
    {
        switch (kernelEvent)
        {
            case DisplayedValueUpdated updated:
                int index = outputs.FindIndex(o => o.ValueId == updated.ValueId);
                var replacement = Display("display_data", updated.FormattedValues);
                if (index >= 0) outputs[index] = (updated.ValueId, replacement);
                else outputs.Add((updated.ValueId, replacement));
                break;
            case DisplayedValueProduced displayed:
                outputs.Add((displayed.ValueId, Display("display_data", displayed.FormattedValues)));
                break;
            case ReturnValueProduced returned:
                var result = Display("execute_result", returned.FormattedValues);
                result["execution_count"] = executionCount;
                outputs.Add((null, result));
                break;
            case StandardOutputValueProduced stdout:
                outputs.Add((null, Stream("stdout", stdout.FormattedValues)));
                break;
            case StandardErrorValueProduced stderr:
                outputs.Add((null, Stream("stderr", stderr.FormattedValues)));
                break;
            case ErrorProduced error:
                Error ??= error.Message;
                break;
            case CommandFailed failed:
                Error = string.IsNullOrWhiteSpace(failed.Message) ? failed.Exception?.ToString() ?? "unknown error" : failed.Message;
                outputs.Add((null, new JsonObject
                {
                    ["output_type"] = "error",
                    ["ename"] = failed.Exception?.GetType().Name ?? "Error",
                    ["evalue"] = failed.Message,
                    ["traceback"] = new JsonArray(failed.Message),
                }));
                break;
        }
    }

    public JsonArray ToJson() => new(outputs.Select(o => (JsonNode)o.Output.DeepClone()).ToArray());

    static JsonObject Display(string type, IReadOnlyCollection<FormattedValue> values)
    {
        var data = new JsonObject();
        // nbformat keeps JSON MIME types (application/json, application/vnd.plotly.v1+json, ...) as JSON, not as text.
        foreach (var value in values.Where(v => !v.SuppressDisplay))
            data[value.MimeType] = IsJson(value.MimeType) ? JsonNode.Parse(value.Value) : value.Value;
        return new JsonObject { ["output_type"] = type, ["data"] = data, ["metadata"] = new JsonObject() };
    }

    static bool IsJson(string mimeType) => mimeType == "application/json" || mimeType.EndsWith("+json", StringComparison.Ordinal);

    static JsonObject Stream(string name, IReadOnlyCollection<FormattedValue> values) => new()
    {
        ["output_type"] = "stream",
        ["name"] = name,
        ["text"] = string.Concat(values.Where(v => v.MimeType == "text/plain").Select(v => v.Value)),
    };
}
