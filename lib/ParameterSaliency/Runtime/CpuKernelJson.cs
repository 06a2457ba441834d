using System.Text.Json.Serialization;

namespace ParameterSaliency.Runtime;

/// <summary>What the CPU kernel verdict cache holds (<see cref="CpuKernelPolicy.CachePath"/>).</summary>
internal sealed record CpuKernelVerdict(string Key, string Isa, string Processor, string Reason, CpuKernelMeasurement[] Measurements);

/// <summary>
/// Source-generated JSON for the measurement a child process reports and the verdict cache: works where
/// reflection-based serialization is off (file-based apps, trimmed or AOT builds). NaN marks a failed
/// measurement, so named floating-point literals are allowed.
/// </summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CpuKernelMeasurement))]
[JsonSerializable(typeof(CpuKernelVerdict))]
internal sealed partial class CpuKernelJson : JsonSerializerContext;
