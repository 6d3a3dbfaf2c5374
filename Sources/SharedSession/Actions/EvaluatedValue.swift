import CDPTransport

/// Turns a script's result, serialized deeply by the browser, into JSON — and says what JSON cannot
/// hold instead of losing it silently: `NaN`, `Infinity`, BigInts, dates, maps, sets, regular
/// expressions, functions, DOM nodes, `undefined` and repeated references.
enum EvaluatedValue {
    static func convert(_ value: Runtime.DeepSerializedValue) -> (JSONValue, notes: [String]) {
        var notes: [String] = []
        let json = convert(jsonValue(of: value), &notes, depth: 0)
        var seen = Set<String>()
        return (json, notes.filter { seen.insert($0).inserted })
    }

    /// The deep value as the JSON the browser sent (`{type, value, weakLocalObjectReference}`).
    private static func jsonValue(of value: Runtime.DeepSerializedValue) -> JSONValue {
        var object: [String: JSONValue] = ["type": .string(value.type.rawValue)]
        if let inner = value.value { object["value"] = inner }
        if let reference = value.weakLocalObjectReference { object["weakLocalObjectReference"] = .number(Double(reference)) }
        return .object(object)
    }

    private static func convert(_ node: JSONValue, _ notes: inout [String], depth: Int) -> JSONValue {
        let type = node["type"]?.stringValue ?? "undefined"
        let value = node["value"]
        if value == nil, node["weakLocalObjectReference"] != nil, ["object", "array", "map", "set"].contains(type) {
            notes.append("a value refers to itself (or appears twice); the repeat is given as \"[circular]\"")
            return .string("[circular]")
        }
        switch type {
        case "undefined":
            notes.append("undefined is not JSON: given as null")
            return .null
        case "null":
            return .null
        case "string", "boolean":
            return value ?? .null
        case "number":
            if let text = value?.stringValue {
                if text == "-0" { return .number(-0.0) }
                notes.append("\(text) is not a JSON number: given as the string \"\(text)\"")
                return .string(text)
            }
            return value ?? .null
        case "bigint":
            let digits = value?.stringValue ?? "0"
            notes.append("a BigInt (\(digits)n) is not a JSON number: given as the string \"\(digits)\"")
            return .string(digits)
        case "date":
            notes.append("a Date is not JSON: given as its ISO 8601 string")
            return value ?? .null
        case "regexp":
            let pattern = value?["pattern"]?.stringValue ?? "", flags = value?["flags"]?.stringValue ?? ""
            notes.append("a RegExp is not JSON: given as the string /\(pattern)/\(flags)")
            return .string("/\(pattern)/\(flags)")
        case "array", "set":
            if type == "set" { notes.append("a Set is not JSON: given as an array of its values") }
            return .array((value?.arrayValue ?? []).map { convert($0, &notes, depth: depth + 1) })
        case "object", "map":
            if type == "map" { notes.append("a Map is not JSON: given as an object (keys as strings)") }
            var object: [String: JSONValue] = [:]
            for pair in value?.arrayValue ?? [] {
                guard let entry = pair.arrayValue, entry.count == 2 else { continue }
                let key: String
                if let plain = entry[0].stringValue {
                    key = plain
                } else {
                    let converted = convert(entry[0], &notes, depth: depth + 1)
                    key = converted.stringValue ?? converted.description
                }
                object[key] = convert(entry[1], &notes, depth: depth + 1)
            }
            return .object(object)
        case "node":
            let name = value?["localName"]?.stringValue ?? value?["nodeName"]?.stringValue ?? "node"
            notes.append("a DOM node is not JSON: given as a description (<\(name)>)")
            return .string("<\(name)>")
        default:
            // function, symbol, promise, window, error, weakmap, proxy, typed arrays, ...
            notes.append("a \(type) is not JSON: given as null")
            return .null
        }
    }
}
