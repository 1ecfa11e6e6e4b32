%% Writes fuzzing seeds made by a real OTP: term_to_binary of rich terms (etf) and
%% distribution frames, 112 followed by term_to_binary of a control tuple and of its
%% payload (control). Run by seed.sh: escript seed.erl OUTDIR
-module(seed).
-export([main/1]).

main([Out]) ->
    Self = self(),
    Ref = make_ref(),
    Port = hd(erlang:ports()),
    Fun = fun(X) -> {X, Self} end,
    Big = 1 bsl 200,
    Map40 = maps:from_list([{K, K * 2} || K <- lists:seq(1, 40)]),
    Terms = [
        0, 255, -1, 16#7fffffff, -16#80000000, Big, -Big, 1.5, -0.0, 1.0e300,
        atom, 'ünïcödé', '', <<>>, <<1, 2, 3>>, <<1:3>>, <<"text">>,
        [], "string", [1, 2, 3], [a | b], [[[[]]]], lists:seq(1, 300),
        {}, {a, b}, list_to_tuple(lists:seq(1, 300)),
        #{}, #{a => 1, b => [2]}, #{#{k => v} => {x}}, Map40,
        Self, Ref, Port, Fun, fun erlang:abs/1,
        {Self, Ref, [Fun, #{Port => <<0:7>>}], [1.0 | "x"]},
        lists:duplicate(100, {Self, Ref})
    ],
    Etf = filename:join(Out, "etf"),
    ok = filelib:ensure_dir(filename:join(Etf, "x")),
    lists:foldl(fun(T, N) ->
        ok = file:write_file(filename:join(Etf, "t" ++ integer_to_list(N)), term_to_binary(T)),
        ok = file:write_file(filename:join(Etf, "c" ++ integer_to_list(N)),
                             term_to_binary(T, [compressed])),
        N + 1
    end, 0, Terms),
    Ctl = filename:join(Out, "control"),
    ok = filelib:ensure_dir(filename:join(Ctl, "x")),
    Frames = [
        {{2, '', Self}, {hello, [1, 2]}},
        {{6, Self, '', echo}, {Self, #{a => 1}}},
        {{22, Self, Self}, <<"payload">>},
        {{1, Self, Self}, none},
        {{4, Self, Self}, none},
        {{35, 1, Self, Self}, none},
        {{36, 1, Self, Self}, none},
        {{3, Self, Self, normal}, none},
        {{8, Self, Self, kill}, none},
        {{24, Self, Self}, {shutdown, x}},
        {{26, Self, Self}, normal},
        {{19, Self, Self, Ref}, none},
        {{19, Self, echo, Ref}, none},
        {{20, Self, Self, Ref}, none},
        {{21, Self, Self, Ref, noproc}, none},
        {{27, Self, Self, Ref}, noconnection},
        {{7, Self, Self}, none},
        {{29, Ref, Self, Self, erlang, apply, 2, [monitor, link]}, [Fun, []]},
        {{31, Ref, Self, 0, Self}, none},
        {{33, Self, Ref}, alias_message}
    ],
    lists:foldl(fun({C, P}, N) ->
        Payload = case P of none -> <<>>; _ -> term_to_binary(P) end,
        ok = file:write_file(filename:join(Ctl, "f" ++ integer_to_list(N)),
                             [112, term_to_binary(C), Payload]),
        N + 1
    end, 0, Frames),
    ok.
