using System.Security.Cryptography;
using System.Text.Json;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;

namespace ParameterSaliency.Tests;

/// <summary>Outputs of tests/reference/pytorch_reference.py, an independent PyTorch computation.</summary>
internal static class ReferenceFixtures
{
    public sealed record Layout(IReadOnlyList<(string Name, long[] Shape)> Parameters, IReadOnlyList<string> StateDict);

    /// <summary>A layout from parameter-names.json (pytorch_reference.py), or from torchvision-layouts.json (torchvision_layouts.py) when <paramref name="fixture"/> names it.</summary>
    public static Layout PyTorchLayout(string arch, string fixture = "parameter-names.json")
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Workbook.Fixtures, fixture)));
        var entry = document.RootElement.GetProperty(arch);
        var parameters = entry.GetProperty("parameters").EnumerateArray()
            .Select(p => (p[0].GetString()!, p[1].EnumerateArray().Select(d => d.GetInt64()).ToArray())).ToArray();
        var stateDict = entry.GetProperty("state_dict").EnumerateArray().Select(k => k.GetString()!).ToArray();
        return new Layout(parameters, stateDict);
    }

    /// <summary>A safetensors fixture made for the committed default model; fails, naming the fix, when the model changed since.</summary>
    public static SafeTensorsContent ForDefaultModel(string fileName)
    {
        var content = SafeTensors.Read(Path.Combine(Workbook.Fixtures, fileName));
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(WorkbookPaths.DefaultModel)));
        Assert.True(content.Metadata["model_sha256"] == sha, $"tests/fixtures/{fileName} was made for another model file: rerun tests/reference/pytorch_reference.py");
        return content;
    }
}
